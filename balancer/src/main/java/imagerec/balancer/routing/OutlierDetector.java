package imagerec.balancer.routing;

import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ejects a worker that fails call after call although its health check says SERVING (a worker that
 * hangs, or whose model is broken): after {@code consecutiveFailures} failures in a row it is left
 * out of routing for {@code baseEjection}, doubled at each ejection up to {@code maxEjection}; a
 * success resets its count. At most {@code maxEjectedShare} of the workers are ejected at once, so
 * a fault shared by all of them (or a bad client) cannot empty the rotation. Thread-safe; the clock
 * is injected for tests.
 */
public final class OutlierDetector {
  private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

  private final WorkerRegistry registry;
  private final int consecutiveFailures;
  private final long baseEjectionNanos;
  private final long maxEjectionNanos;
  private final double maxEjectedShare;
  private final LongSupplier nanoClock;

  public OutlierDetector(WorkerRegistry registry, int consecutiveFailures, Duration baseEjection,
                         Duration maxEjection, double maxEjectedShare, LongSupplier nanoClock) {
    this.registry = registry;
    this.consecutiveFailures = consecutiveFailures;
    this.baseEjectionNanos = baseEjection.toNanos();
    this.maxEjectionNanos = maxEjection.toNanos();
    this.maxEjectedShare = maxEjectedShare;
    this.nanoClock = nanoClock;
  }

  /** The current time on this detector's clock. */
  public long now() {
    return nanoClock.getAsLong();
  }

  /** Records the outcome of a call to {@code worker}. */
  public void onResult(WorkerEndpoint worker, boolean workerFailure) {
    if (!workerFailure) {
      worker.resetFailures();
      return;
    }
    if (worker.recordFailure() < consecutiveFailures) {
      return;
    }
    synchronized (this) {
      long now = nanoClock.getAsLong();
      if (worker.isEjected(now)) {
        return;
      }
      int total = registry.snapshot().all().size();
      long ejected = registry.snapshot().all().stream().filter(e -> e.isEjected(now)).count();
      if (ejected + 1 > Math.floor(total * maxEjectedShare)) {
        return; // would eject too large a share of the workers
      }
      int n = worker.ejections();
      long duration = Math.min(maxEjectionNanos, baseEjectionNanos << Math.min(n, 20));
      worker.eject(now + duration);
      log.warn("worker {} ejected for {} ms after {} consecutive failures (ejection #{})", worker,
          duration / 1_000_000, consecutiveFailures, n + 1);
    }
  }
}
