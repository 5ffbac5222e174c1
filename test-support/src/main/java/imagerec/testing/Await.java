package imagerec.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds, for tests that wait on another thread or process. */
public final class Await {
  private Await() {
  }

  /**
   * Returns once {@code condition} holds, polling every {@code poll}; fails the test with "timed
   * out waiting until {@code what}" after {@code timeout}.
   */
  public static void until(BooleanSupplier condition, Duration timeout, Duration poll, String what)
      throws InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(poll.toMillis());
    }
  }

  /** {@link #until(BooleanSupplier, Duration, Duration, String)}, polling every 20 ms. */
  public static void until(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    until(condition, timeout, Duration.ofMillis(20), what);
  }
}
