package imagerec.balancer.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  @Test
  void retriesAreCappedAtTheRatioOfCalls() {
    RetryBudget budget = new RetryBudget(0.2, 0, 100);
    int retries = 0;
    for (int i = 0; i < 1000; i++) {
      budget.onCall();
      if (budget.tryRetry()) { // every call fails and wants a retry
        retries++;
      }
    }
    assertEquals(200, retries);
  }

  @Test
  void theInitialBalanceAllowsAFewRetriesAndThenRunsOut() {
    RetryBudget budget = new RetryBudget(0.2, 3, 100);
    assertTrue(budget.tryRetry());
    assertTrue(budget.tryRetry());
    assertTrue(budget.tryRetry());
    assertFalse(budget.tryRetry());
  }

  @Test
  void savingsAreCapped() {
    RetryBudget budget = new RetryBudget(1, 0, 5);
    for (int i = 0; i < 100; i++) {
      budget.onCall();
    }
    int retries = 0;
    while (budget.tryRetry()) {
      retries++;
    }
    assertEquals(5, retries);
  }
}
