package imagerec.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.v1.RecognizeRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The load generator's two loops and its ledger, against a sender that answers from a timer. */
class LoadRunTest {
  private static final List<RecognizeRequest> REQUESTS = List.of(RecognizeRequest.getDefaultInstance());
  private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  /** Answers the n-th call (from 0) with {@code answer.apply(n)} after {@code delayMillis}, or never if null. */
  private final class TimedSender implements CallSender {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    private final long delayMillis;
    private final IntFunction<CallOutcome> answer;

    TimedSender(long delayMillis, IntFunction<CallOutcome> answer) {
      this.delayMillis = delayMillis;
      this.answer = answer;
    }

    @Override
    public void send(RecognizeRequest request, Callback callback) {
      int n = calls.getAndIncrement();
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      CallOutcome outcome = answer.apply(n);
      if (outcome != null) {
        timer.schedule(() -> {
          inFlight.decrementAndGet();
          callback.done(outcome);
        }, delayMillis, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void close() {
    }
  }

  /** Lets {@code run} send for {@code millis}, then stops it, waiting at most {@code graceMillis}. */
  private static LoadRun after(long millis, LoadRun run, long graceMillis) throws InterruptedException {
    Thread.sleep(millis);
    return run.stop(Duration.ofMillis(graceMillis));
  }

  private static CallOutcome ok(String worker) {
    return new CallOutcome(CallOutcome.OK, worker, 2, "");
  }

  @Test
  void aClosedLoopHoldsExactlyItsConcurrencyInFlight() throws Exception {
    TimedSender sender = new TimedSender(2, n -> ok("w"));
    LoadRun run = after(300, new LoadGenerator(REQUESTS).startClosedLoop(sender, 4), 5000);
    assertEquals(4, sender.maxInFlight.get());
    assertEquals(0, run.outstanding());
    assertEquals(run.sent(), run.ok(), "every call sent ended, and well");
    assertTrue(run.sent() > 20, "calls followed each other: " + run.sent());
    assertEquals(2.0, run.result("c4").meanBatch(), 1e-9);
  }

  @Test
  void callsThatNeverEndAreCountedAsOutstanding() throws Exception {
    LoadRun run = after(100, new LoadGenerator(REQUESTS).startClosedLoop(new TimedSender(0, n -> null), 3), 100);
    assertEquals(3, run.sent());
    assertEquals(3, run.outstanding());
    assertEquals(0, run.ok());
  }

  @Test
  void keptCallsTellWhoAnsweredAndHow() throws Exception {
    TimedSender sender = new TimedSender(1,
        n -> n % 3 == 2 ? new CallOutcome("UNAVAILABLE", "", 0, "gone") : ok(n % 3 == 0 ? "w0" : "w1"));
    LoadRun run = after(200, new LoadGenerator(REQUESTS).keepingCalls().startClosedLoop(sender, 1), 5000);
    long ended = run.calls().size();
    assertEquals(run.sent(), ended);
    Map<String, Long> byWorker = run.byWorker(run.startedAt(), Long.MAX_VALUE, LoadRun.Call::ok);
    assertEquals(ended - run.errors().get("UNAVAILABLE"), byWorker.get("w0") + byWorker.get("w1"));
    assertTrue(Math.abs(byWorker.get("w0") - byWorker.get("w1")) <= 1, byWorker.toString());
    assertEquals(run.errors(), run.errors(run.startedAt(), Long.MAX_VALUE));
    assertEquals(Map.of("UNAVAILABLE", "gone"), run.examples());
  }

  @Test
  void callsAreKeptOnlyWhenAsked() throws Exception {
    LoadRun run = new LoadGenerator(REQUESTS).startClosedLoop(new TimedSender(1, n -> ok("w")), 1);
    run.stop(Duration.ofSeconds(5));
    assertThrows(IllegalStateException.class, run::calls);
  }

  @Test
  void anOpenLoopStepStartsItsCountAtItsRate() throws Exception {
    TimedSender sender = new TimedSender(1, n -> ok("w"));
    StepResult step = new LoadGenerator(REQUESTS).openLoop(sender, 200, Duration.ofSeconds(60), 40);
    assertEquals(40, step.calls());
    assertEquals(40, step.ok());
    // 40 calls at 200/s are due over 195 ms: the step cannot end sooner, nor take the 60 s it was given
    assertTrue(step.seconds() >= 0.19 && step.seconds() < 5, "step took " + step.seconds() + " s");
  }

  @Test
  void anOpenLoopCountsCallsOverItsBacklogAsNotSent() throws Exception {
    TimedSender sender = new TimedSender(0, n -> null);
    LoadRun run = after(100, new LoadGenerator(REQUESTS).startOpenLoop(sender, 1_000_000), 10);
    assertEquals(LoadRun.MAX_OPEN_LOOP_BACKLOG, sender.calls.get());
    assertEquals(LoadRun.MAX_OPEN_LOOP_BACKLOG, run.outstanding());
    assertEquals(run.sent() - LoadRun.MAX_OPEN_LOOP_BACKLOG, run.errors().get(CallOutcome.NOT_SENT));
  }
}
