package imagerec.balancer.routing;

import imagerec.balancer.registry.WorkerEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * Chooses the worker for a call: the one with the fewest outstanding (balancer-counted) calls.
 * Ejected workers are left out (unless every candidate is ejected), and a worker that recently
 * shed a call with RESOURCE_EXHAUSTED counts as full, so a worker that fails fast because it is
 * overloaded does not attract more calls by finishing them quickly.
 *
 * <p>With few candidates every one is compared (ties broken at random, so equal workers share the
 * load); with more, two are drawn at random and the less loaded wins ("power of two choices"),
 * which keeps the cost constant and avoids herding onto one worker whose count is stale.
 * Thread-safe if the random generator is.
 */
public final class Picker {
  /** Up to this many candidates are all compared. */
  static final int FULL_SCAN_LIMIT = 4;
  /** Load added to a worker that recently said it was full. */
  static final int OVERLOAD_PENALTY = 1_000_000;

  /** How a worker is chosen among the candidates. */
  public enum Policy {
    /** The fewest outstanding calls (the default). */
    LEAST_OUTSTANDING,
    /** Each in turn, whatever its load: a baseline for benchmarks. */
    ROUND_ROBIN
  }

  private final RandomGenerator random;
  private final Policy policy;
  private final AtomicLong turn = new AtomicLong();

  public Picker(RandomGenerator random) {
    this(random, Policy.LEAST_OUTSTANDING);
  }

  public Picker(RandomGenerator random, Policy policy) {
    this.random = random;
    this.policy = policy;
  }

  /**
   * Picks among {@code healthy}, skipping {@code excluded} (workers already tried for this call).
   *
   * @param nowNanos the current time, for ejections and overload marks
   * @return the chosen worker, or null when no candidate is left
   */
  public WorkerEndpoint pick(List<WorkerEndpoint> healthy, Collection<WorkerEndpoint> excluded, long nowNanos) {
    List<WorkerEndpoint> candidates = healthy;
    boolean anyEjected = false;
    for (WorkerEndpoint e : healthy) {
      anyEjected |= e.isEjected(nowNanos);
    }
    if (!excluded.isEmpty() || anyEjected) {
      candidates = new ArrayList<>(healthy);
      candidates.removeAll(excluded);
      List<WorkerEndpoint> notEjected = candidates.stream().filter(e -> !e.isEjected(nowNanos)).toList();
      if (!notEjected.isEmpty()) {
        candidates = notEjected; // fail open: if all are ejected, they are still tried
      }
    }
    int n = candidates.size();
    if (n == 0) {
      return null;
    }
    if (n == 1) {
      return candidates.get(0);
    }
    if (policy == Policy.ROUND_ROBIN) {
      return candidates.get((int) Math.floorMod(turn.getAndIncrement(), (long) n));
    }
    if (n <= FULL_SCAN_LIMIT) {
      int offset = random.nextInt(n);
      WorkerEndpoint best = null;
      for (int i = 0; i < n; i++) {
        WorkerEndpoint e = candidates.get((offset + i) % n);
        if (best == null || load(e, nowNanos) < load(best, nowNanos)) {
          best = e;
        }
      }
      return best;
    }
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    WorkerEndpoint first = candidates.get(a);
    WorkerEndpoint second = candidates.get(b);
    return load(second, nowNanos) < load(first, nowNanos) ? second : first;
  }

  private static long load(WorkerEndpoint e, long nowNanos) {
    return e.inFlight() + (e.isOverloaded(nowNanos) ? OVERLOAD_PENALTY : 0L);
  }
}
