package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Drives a {@link CallSender}, either closed-loop (a fixed number of calls in flight, each
 * completion letting the next one go) or open-loop (calls started at a fixed rate whatever the
 * server does, latency counted from when each call was due, so a stall is not hidden).
 *
 * <p>Two ways to use it: a step ({@link #closedLoop}, {@link #openLoop}) that ends after a duration
 * or a number of calls and waits for the calls in flight, as {@code imagerec bench} and the
 * benchmarks do; or a {@link LoadRun} started with {@link #startClosedLoop}/{@link #startOpenLoop}
 * that goes on until its owner stops it, as the fault tests do while they break things.
 */
public final class LoadGenerator {
  /** How long a step waits for its calls in flight before it reports them as still outstanding. */
  private static final Duration STEP_GRACE = Duration.ofSeconds(60);

  private final List<RecognizeRequest> requests;
  private final boolean keepCalls;

  public LoadGenerator(List<RecognizeRequest> requests) {
    this(requests, false);
  }

  private LoadGenerator(List<RecognizeRequest> requests, boolean keepCalls) {
    if (requests.isEmpty()) {
      throw new IllegalArgumentException("no requests to send");
    }
    this.requests = java.util.Collections.unmodifiableList(requests); // not copied: a workload may be endless
    this.keepCalls = keepCalls;
  }

  /** The same load, keeping a record of every call: when it ended, who answered, how (see {@link LoadRun#calls()}). */
  public LoadGenerator keepingCalls() {
    return new LoadGenerator(requests, true);
  }

  /** Holds {@code concurrency} calls in flight until {@code duration} passes or {@code count} calls were sent. */
  public StepResult closedLoop(CallSender sender, int concurrency, Duration duration, long count)
      throws InterruptedException {
    LoadRun run = LoadRun.closedLoop(sender, requests, concurrency, count, keepCalls);
    return step(run, count > 0 ? null : duration, "concurrency " + concurrency);
  }

  /** Starts {@code rate} calls a second until {@code duration} passes or {@code count} calls were started. */
  public StepResult openLoop(CallSender sender, double rate, Duration duration, long count) throws InterruptedException {
    long total = count > 0 ? count : Math.max(1, (long) (duration.toNanos() * rate / 1e9));
    LoadRun run = LoadRun.openLoop(sender, requests, rate, total, keepCalls);
    return step(run, null, String.format(Locale.ROOT, "rate %.0f/s", rate));
  }

  /** Keeps {@code concurrency} calls in flight until {@link LoadRun#stop} is called. */
  public LoadRun startClosedLoop(CallSender sender, int concurrency) {
    return LoadRun.closedLoop(sender, requests, concurrency, 0, keepCalls);
  }

  /** Starts {@code rate} calls a second until {@link LoadRun#stop} is called. */
  public LoadRun startOpenLoop(CallSender sender, double rate) {
    return LoadRun.openLoop(sender, requests, rate, 0, keepCalls);
  }

  /** Lets {@code run} send for {@code duration}, or all its calls when null, then stops it. */
  private static StepResult step(LoadRun run, Duration duration, String label) throws InterruptedException {
    if (duration == null) {
      run.awaitSent();
    } else {
      Thread.sleep(duration.toMillis());
    }
    return run.stop(STEP_GRACE).result(label);
  }
}
