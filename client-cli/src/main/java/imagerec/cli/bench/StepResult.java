package imagerec.cli.bench;

import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The figures of one benchmark step.
 *
 * @param label what was held constant: "concurrency 16" or "rate 500/s"
 * @param calls calls that completed (successfully or not)
 * @param errors failed calls by gRPC code name
 * @param seconds from the first send to the last completion
 * @param latencyMicros latency of successful calls, in microseconds; for a fixed rate measured from
 *     the time each call was due, so a stalled server shows in the figures (no coordinated omission)
 * @param meanBatch mean size of the inference batches the successful images were part of, as the
 *     workers reported it
 * @param imagesPerCall images each call carried
 */
public record StepResult(String label, long calls, Map<String, Long> errors, double seconds, Histogram latencyMicros,
                         double meanBatch, int imagesPerCall) {

  public long ok() {
    return calls - errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Calls completed per second, failed ones included. */
  public double callsPerSecond() {
    return seconds > 0 ? calls / seconds : 0;
  }

  /** Images recognized per second: the images of the successful calls. */
  public double imagesPerSecond() {
    return seconds > 0 ? (double) ok() * imagesPerCall / seconds : 0;
  }

  /** Latency at {@code percentile} in milliseconds. */
  public double millis(double percentile) {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  public double maxMillis() {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMaxValue() / 1000.0;
  }
}
