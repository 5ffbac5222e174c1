package imagerec.balancer.registry;

/**
 * How long a worker takes per call at the load it carries, learned from the calls it finished: an
 * exponentially weighted mean of each successful call's latency divided by the calls in flight on
 * the worker when it was sent (itself included). A worker that works through calls one at a time
 * shows its service time; one that batches or runs several at once, its time per call at that
 * concurrency. So {@code (inFlight + 1) * estimate} is the latency a new call can expect there.
 *
 * <p>The estimate fades toward zero while no call finishes, so a worker that was slow once and is
 * no longer sent calls gets tried again rather than shunned forever. Thread-safe.
 */
public final class ServiceTimeEstimate {
  /** The weight of each new sample in the mean. */
  static final double SAMPLE_WEIGHT = 0.2;
  /** Without new samples the estimate falls to 1/e of itself in this time. */
  static final double FADE_NANOS = 10e9;

  private double nanos = -1;
  private long updatedAtNanos;

  /**
   * Records a successful call.
   *
   * @param latencyNanos from sending the call to its status
   * @param sharedWith calls in flight on the worker when it was sent, itself included (at least 1)
   * @param nowNanos the current time (System.nanoTime() scale)
   */
  public synchronized void record(long latencyNanos, int sharedWith, long nowNanos) {
    double sample = (double) Math.max(0, latencyNanos) / Math.max(1, sharedWith);
    double current = faded(nowNanos);
    nanos = current < 0 ? sample : current + SAMPLE_WEIGHT * (sample - current);
    updatedAtNanos = nowNanos;
  }

  /** The time per call in nanoseconds at {@code nowNanos}, or -1 before any call finished. */
  public synchronized double nanos(long nowNanos) {
    return faded(nowNanos);
  }

  private double faded(long nowNanos) {
    if (nanos < 0) {
      return -1;
    }
    long idle = nowNanos - updatedAtNanos;
    return idle <= 0 ? nanos : nanos * Math.exp(-idle / FADE_NANOS);
  }
}
