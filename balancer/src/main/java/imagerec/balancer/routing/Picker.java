package imagerec.balancer.routing;

import imagerec.balancer.registry.WorkerEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Chooses the worker for a call: the one with the fewest outstanding (balancer-counted) calls.
 *
 * <p>With few candidates every one is compared (ties broken at random, so equal workers share the
 * load); with more, two are drawn at random and the less loaded wins ("power of two choices"),
 * which keeps the cost constant and avoids herding onto one worker whose count is stale.
 * Thread-safe if the random generator is.
 */
public final class Picker {
  /** Up to this many candidates are all compared. */
  static final int FULL_SCAN_LIMIT = 4;

  private final RandomGenerator random;

  public Picker(RandomGenerator random) {
    this.random = random;
  }

  /**
   * Picks among {@code healthy}, skipping {@code excluded} (workers already tried for this call).
   *
   * @return the chosen worker, or null when no candidate is left
   */
  public WorkerEndpoint pick(List<WorkerEndpoint> healthy, Collection<WorkerEndpoint> excluded) {
    List<WorkerEndpoint> candidates = healthy;
    if (!excluded.isEmpty()) {
      candidates = new ArrayList<>(healthy);
      candidates.removeAll(excluded);
    }
    int n = candidates.size();
    if (n == 0) {
      return null;
    }
    if (n == 1) {
      return candidates.get(0);
    }
    if (n <= FULL_SCAN_LIMIT) {
      int offset = random.nextInt(n);
      WorkerEndpoint best = null;
      for (int i = 0; i < n; i++) {
        WorkerEndpoint e = candidates.get((offset + i) % n);
        if (best == null || e.inFlight() < best.inFlight()) {
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
    return second.inFlight() < first.inFlight() ? second : first;
  }
}
