package imagerec.balancer.routing;

import imagerec.balancer.registry.WorkerEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * Chooses the worker for a call: with {@link Policy#LEAST_LATENCY} the one with the least
 * outstanding (balancer-counted) calls plus one, times its recent call latency; with
 * {@link Policy#LEAST_OUTSTANDING} the one with the fewest outstanding calls. Ejected workers are
 * left out (unless every candidate is ejected), and a worker that recently shed a call with
 * RESOURCE_EXHAUSTED counts as full, so a worker that fails fast because it is overloaded does not
 * attract more calls by finishing them quickly.
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
    /** The fewest outstanding calls. */
    LEAST_OUTSTANDING,
    /**
     * Outstanding calls plus one, times the worker's recent call latency
     * ({@link WorkerEndpoint#latencyNanos}), so a worker slower than the others gets fewer calls at
     * once, not merely as many as the rest. Where a compared worker has no measurement yet, the
     * fewest outstanding calls decides. The default.
     */
    LEAST_LATENCY,
    /** Each in turn, whatever its load: a baseline for benchmarks. */
    ROUND_ROBIN
  }

  private final RandomGenerator random;
  private final Policy policy;
  private final AtomicLong turn = new AtomicLong();

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
      double[] latency = latencies(candidates, nowNanos);
      int offset = random.nextInt(n);
      int best = -1;
      double bestLoad = 0;
      for (int i = 0; i < n; i++) {
        int k = (offset + i) % n;
        double load = load(candidates.get(k), latency[k], nowNanos);
        if (best < 0 || load < bestLoad) {
          best = k;
          bestLoad = load;
        }
      }
      return candidates.get(best);
    }
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    List<WorkerEndpoint> pair = List.of(candidates.get(a), candidates.get(b));
    double[] latency = latencies(pair, nowNanos);
    boolean secondWins = load(pair.get(1), latency[1], nowNanos) < load(pair.get(0), latency[0], nowNanos);
    return pair.get(secondWins ? 1 : 0);
  }

  /**
   * Each compared worker's latency to weigh its calls by, read once per pick; all zeros (calls
   * counted alone) unless the policy weighs by latency and every compared worker has a measurement.
   */
  private double[] latencies(List<WorkerEndpoint> compared, long nowNanos) {
    double[] latency = new double[compared.size()];
    if (policy != Policy.LEAST_LATENCY) {
      return latency;
    }
    for (int i = 0; i < latency.length; i++) {
      latency[i] = compared.get(i).latencyNanos(nowNanos);
      if (latency[i] <= 0) {
        return new double[compared.size()];
      }
    }
    return latency;
  }

  /**
   * The worker's outstanding calls (a full worker's count as very many); with a {@code latency},
   * those calls plus one, times it.
   */
  private static double load(WorkerEndpoint e, double latency, long nowNanos) {
    double calls = e.inFlight() + (e.isOverloaded(nowNanos) ? OVERLOAD_PENALTY : 0L);
    return latency > 0 ? (calls + 1) * latency : calls;
  }
}
