package imagerec.worker.inference;

import java.time.Duration;

/**
 * How much longer than the model needs each inference call is made to take, the inference thread
 * waiting out the difference without using the CPU. A stand-in for a heavier model or a slower
 * machine in tests and benchmarks: since the thread is held, the worker's capacity shrinks with it,
 * as a slow machine's would. {@link #NORMAL} in production.
 *
 * @param minimum every inference call takes at least this long (overload tests on a small machine
 *     can then offer many times a worker's capacity)
 * @param slowdown every inference call takes this many times as long as the model needed (a slow
 *     worker for the balancer benchmark); at least 1
 */
public record InferencePace(Duration minimum, double slowdown) {
  /** Inference as fast as the model runs. */
  public static final InferencePace NORMAL = new InferencePace(Duration.ZERO, 1);

  public InferencePace {
    if (minimum.isNegative() || !(slowdown >= 1)) {
      throw new IllegalArgumentException("--min-inference-ms must not be negative and --slowdown at least 1: "
          + minimum + ", " + slowdown);
    }
  }

  /** {@code model} at this pace: itself when {@link #NORMAL}. */
  public PredictFunction wrap(PredictFunction model) {
    return this.equals(NORMAL) ? model : new PacedFunction(model, this);
  }

  /** Nanoseconds to wait after an inference call that took {@code tookNanos}; 0 for {@link #NORMAL}. */
  public long extraNanos(long tookNanos) {
    long paced = Math.max(minimum.toNanos(), (long) (tookNanos * slowdown));
    return Math.max(0, paced - tookNanos);
  }
}
