package imagerec.balancer.registry;

/**
 * How long a worker's calls take, learned from the calls it answered: a weighted mean of the
 * latency of its successful calls, queueing at the worker included. Routing multiplies it by the
 * worker's outstanding calls plus one, so a worker whose calls take longer, because it is slower or
 * because more calls wait there, gets fewer new ones (the cost of Finagle's and Linkerd's "peak
 * EWMA" balancers, without the peak).
 *
 * <ul>
 *   <li>Each answer moves the mean by {@link #SAMPLE_WEIGHT} of the difference; after
 *       {@link #STALE_NANOS} without an answer the next one replaces it, so one slow call of a
 *       worker that was just started (cold) does not linger.
 *   <li>While the worker has no call in flight the estimate fades toward zero, falling to 1/e in
 *       {@link #FADE_NANOS}, so a worker that was slow once and is no longer sent calls gets tried
 *       again rather than shunned forever. It does not fade while calls are in flight there: a hung
 *       worker, whose calls never answer, keeps its last estimate and so attracts no more calls
 *       than least-outstanding routing would send it.
 * </ul>
 * Thread-safe.
 */
public final class LatencyEstimate {
  /** The weight of each new answer in the mean. */
  static final double SAMPLE_WEIGHT = 0.2;
  /** After this long without an answer the mean is stale: the next answer replaces it. */
  static final long STALE_NANOS = 1_000_000_000L;
  /** With nothing in flight, the estimate falls to 1/e of itself in this time. */
  static final double FADE_NANOS = 1e9;

  private double nanos = -1;
  private long updatedAtNanos;

  /**
   * Records a successful call.
   *
   * @param latencyNanos from sending the call to its status
   * @param nowNanos the current time (System.nanoTime() scale)
   */
  public synchronized void record(long latencyNanos, long nowNanos) {
    double sample = Math.max(0, latencyNanos);
    boolean stale = nanos < 0 || nowNanos - updatedAtNanos > STALE_NANOS;
    nanos = stale ? sample : nanos + SAMPLE_WEIGHT * (sample - nanos);
    updatedAtNanos = nowNanos;
  }

  /**
   * The estimated latency in nanoseconds, or -1 before any call was answered.
   *
   * @param idle whether the worker has no call in flight (the estimate then fades)
   */
  public synchronized double nanos(long nowNanos, boolean idle) {
    if (nanos < 0 || !idle) {
      return nanos;
    }
    long since = nowNanos - updatedAtNanos;
    return since <= 0 ? nanos : nanos * Math.exp(-since / FADE_NANOS);
  }
}
