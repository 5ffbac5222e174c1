package imagerec.balancer.metrics;

import imagerec.balancer.forwarding.ForwardingObserver;
import imagerec.balancer.registry.WorkerEndpoint;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * The balancer's recognitions over the last minute, second by second: how many ended, how many
 * failed, and their latency percentiles, for the web page's charts ({@code GET /api/stats}). Kept
 * in the balancer, so a page opened late still shows the whole minute. Counts each unary
 * {@code Recognize} call and each stream item once, as the client sees it (retries included in
 * its latency). Thread-safe; recording takes one short lock on the current second.
 */
public final class CallStats implements ForwardingObserver {
  /** Seconds kept. */
  public static final int SECONDS = 60;
  private static final long MAX_MICROS = 3_600_000_000L;

  /** One second of calls. */
  public record Second(long epochSecond, long calls, long failures, double p50Ms, double p99Ms) {}

  /**
   * The minute as the page draws it.
   *
   * @param seconds the last {@link #SECONDS} whole seconds, oldest first, empty ones included
   * @param callsPerSecond calls ended over those seconds, per second
   * @param p50Ms p50 of every successful call in the minute (0 when none)
   * @param p99Ms p99 of the same
   */
  public record Minute(List<Second> seconds, double callsPerSecond, long failures, double p50Ms, double p99Ms) {}

  private static final class Slot {
    long epochSecond = Long.MIN_VALUE;
    long calls;
    long failures;
    final Histogram latencyMicros = new Histogram(MAX_MICROS, 2);

    void reset(long second) {
      epochSecond = second;
      calls = 0;
      failures = 0;
      latencyMicros.reset();
    }
  }

  private final Slot[] slots = new Slot[SECONDS + 1];
  private final LongSupplier clockMillis;

  /** @param clockMillis wall-clock milliseconds (System::currentTimeMillis outside tests) */
  public CallStats(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Slot();
    }
  }

  /** Records one ended recognition. */
  public void record(Status.Code code, long nanos) {
    long second = Math.floorDiv(clockMillis.getAsLong(), 1000);
    Slot slot = slots[(int) Math.floorMod(second, (long) slots.length)];
    synchronized (slot) {
      if (slot.epochSecond != second) {
        slot.reset(second);
      }
      slot.calls++;
      if (code == Status.Code.OK) {
        slot.latencyMicros.recordValue(Math.min(MAX_MICROS, Math.max(1, nanos / 1000)));
      } else {
        slot.failures++;
      }
    }
  }

  /** The last {@link #SECONDS} whole seconds (the second in progress is left out). */
  public Minute lastMinute() {
    long now = Math.floorDiv(clockMillis.getAsLong(), 1000);
    List<Second> seconds = new ArrayList<>(SECONDS);
    Histogram all = new Histogram(MAX_MICROS, 2);
    long calls = 0;
    long failures = 0;
    for (long second = now - SECONDS; second < now; second++) {
      Slot slot = slots[(int) Math.floorMod(second, (long) slots.length)];
      synchronized (slot) {
        if (slot.epochSecond != second) {
          seconds.add(new Second(second, 0, 0, 0, 0));
          continue;
        }
        seconds.add(new Second(second, slot.calls, slot.failures, millis(slot.latencyMicros, 50),
            millis(slot.latencyMicros, 99)));
        all.add(slot.latencyMicros);
        calls += slot.calls;
        failures += slot.failures;
      }
    }
    return new Minute(seconds, calls / (double) SECONDS, failures, millis(all, 50), millis(all, 99));
  }

  private static double millis(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }

  @Override
  public void callEnded(String method, Status.Code code, long nanos) {
    if (method.equals("Recognize")) {
      record(code, nanos);
    }
  }

  @Override
  public void attemptEnded(WorkerEndpoint worker, Status.Code code, long nanos) {
  }

  @Override
  public void retried(Status.Code code) {
  }

  /** A refusal at the balancer's limit is a failed call the client saw. */
  @Override
  public void rejected() {
    record(Status.Code.RESOURCE_EXHAUSTED, 0);
  }
}
