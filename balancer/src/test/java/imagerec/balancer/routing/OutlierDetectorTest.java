package imagerec.balancer.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Ejection policy with a hand-driven clock. */
class OutlierDetectorTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final WorkerRegistry registry = new WorkerRegistry();
  private final List<WorkerEndpoint> workers = new ArrayList<>();
  private final OutlierDetector detector = new OutlierDetector(registry, 3, Duration.ofSeconds(10),
      Duration.ofSeconds(30), 0.5, clock::get);

  OutlierDetectorTest() {
    for (int i = 0; i < 4; i++) {
      WorkerEndpoint e = new WorkerEndpoint("w" + i, "static", null);
      workers.add(e);
      registry.add(e);
    }
  }

  private void fail(WorkerEndpoint e, int times) {
    for (int i = 0; i < times; i++) {
      detector.onResult(e, true);
    }
  }

  private void advance(long seconds) {
    clock.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
  }

  @Test
  void consecutiveFailuresEjectAndASuccessResetsTheCount() {
    WorkerEndpoint w = workers.get(0);
    fail(w, 2);
    detector.onResult(w, false);
    fail(w, 2);
    assertFalse(w.isEjected(clock.get()), "a success in between resets the count");
    fail(w, 1);
    assertTrue(w.isEjected(clock.get()));
  }

  @Test
  void ejectionsGrowAndAreCapped() {
    WorkerEndpoint w = workers.get(0);
    long[] expected = {10, 20, 30, 30};
    for (long seconds : expected) {
      fail(w, 3);
      assertTrue(w.isEjected(clock.get()));
      advance(seconds - 1);
      assertTrue(w.isEjected(clock.get()), "still ejected 1 s before " + seconds + " s");
      advance(1);
      assertFalse(w.isEjected(clock.get()), "back after " + seconds + " s");
    }
    assertEquals(4, w.ejections());
  }

  @Test
  void noMoreThanTheMaximumShareIsEjectedAtOnce() {
    workers.forEach(w -> fail(w, 3));
    long ejected = workers.stream().filter(w -> w.isEjected(clock.get())).count();
    assertEquals(2, ejected, "half of four workers at most");
  }
}
