package imagerec.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {

  @Test
  void holdsUpToTheBoundAndGivesBackWhatWasReleased() {
    ByteBudget budget = new ByteBudget(100);
    assertTrue(budget.tryHold(60));
    assertFalse(budget.tryHold(41), "over the bound");
    assertEquals(60, budget.held(), "a refusal takes nothing");
    assertTrue(budget.tryHold(40));
    budget.release(60);
    assertTrue(budget.tryHold(50));
    assertEquals(90, budget.held());
  }

  @Test
  void oneRequestAloneAlwaysFits() {
    ByteBudget budget = new ByteBudget(100);
    assertTrue(budget.tryHold(500));
    assertFalse(budget.tryHold(1));
    assertThrows(IllegalArgumentException.class, () -> new ByteBudget(0));
  }

  @Test
  void concurrentHoldersNeverTogetherExceedTheBound() throws Exception {
    ByteBudget budget = new ByteBudget(1000);
    AtomicLong worst = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      pool.execute(() -> {
        for (int i = 0; i < 100_000; i++) {
          if (budget.tryHold(300)) {
            worst.accumulateAndGet(budget.held(), Math::max);
            budget.release(300);
          }
        }
      });
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    assertTrue(worst.get() <= 1000 + 300 * 3, "held at most the bound plus what others were trying: " + worst.get());
    assertEquals(0, budget.held());
  }
}
