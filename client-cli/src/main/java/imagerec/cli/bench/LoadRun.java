package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Load being sent by one driver thread, with a ledger of every call: each call is counted once when
 * it is sent and once when it ends (answer or status), so after {@link #stop} {@link #outstanding()}
 * is the number of calls that never ended (a hang).
 *
 * <p>Thread-safe: the driver sends, gRPC threads record outcomes, the owner reads the figures.
 */
public final class LoadRun {
  /** Calls allowed in flight in open-loop mode before further calls count as NOT_SENT. */
  static final int MAX_OPEN_LOOP_BACKLOG = 10_000;

  /**
   * One call that ended.
   *
   * @param at when it ended (System.nanoTime)
   * @param latencyNanos from when it was sent (closed loop) or due (open loop)
   */
  public record Call(long at, String worker, String code, long latencyNanos) {
    public boolean ok() {
      return code.equals(CallOutcome.OK);
    }
  }

  private final CallSender sender;
  private final List<RecognizeRequest> requests;
  private final long limit;
  private final Thread driver;
  private final CountDownLatch driverDone = new CountDownLatch(1);
  private final long started = System.nanoTime();
  private volatile long stopped;
  private volatile boolean running = true;
  private final AtomicLong sent = new AtomicLong();
  private final LongAdder inFlight = new LongAdder();
  private final LongAdder ended = new LongAdder();
  private final Histogram okLatency = new ConcurrentHistogram(3);
  private final Histogram failedLatency = new ConcurrentHistogram(3);
  private final LongAdder batchSizes = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final Map<String, String> examples = new ConcurrentHashMap<>();
  private final AtomicLong lastEnd = new AtomicLong(started);
  private final ConcurrentLinkedQueue<Call> calls;
  /** Closed loop only: one permit per call allowed in flight. */
  private final Semaphore slots;

  private LoadRun(CallSender sender, List<RecognizeRequest> requests, long limit, boolean keepCalls, int concurrency,
                  Consumer<LoadRun> loop, String name) {
    this.sender = sender;
    this.requests = requests;
    this.limit = limit;
    this.calls = keepCalls ? new ConcurrentLinkedQueue<>() : null;
    this.slots = new Semaphore(concurrency);
    this.driver = new Thread(() -> {
      try {
        loop.accept(this); // the thread starts once this run is built
      } finally {
        driverDone.countDown();
      }
    }, name);
    driver.setDaemon(true);
  }

  static LoadRun closedLoop(CallSender sender, List<RecognizeRequest> requests, int concurrency, long limit,
                            boolean keepCalls) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
    }
    LoadRun run = new LoadRun(sender, requests, limit, keepCalls, concurrency, LoadRun::holdInFlight,
        "load-closed-" + concurrency);
    run.driver.start();
    return run;
  }

  static LoadRun openLoop(CallSender sender, List<RecognizeRequest> requests, double rate, long limit,
                          boolean keepCalls) {
    if (!(rate > 0)) {
      throw new IllegalArgumentException("rate must be positive: " + rate);
    }
    long period = (long) (1e9 / rate);
    LoadRun run = new LoadRun(sender, requests, limit, keepCalls, 0, r -> r.startOnSchedule(period), "load-open");
    run.driver.start();
    return run;
  }

  private boolean more(long n) {
    return running && (limit <= 0 || n < limit);
  }

  private void holdInFlight() {
    for (long n = 0; ; n++) {
      slots.acquireUninterruptibly();
      if (!more(n)) {
        slots.release();
        return;
      }
      send(n, System.nanoTime(), slots::release);
    }
  }

  private void startOnSchedule(long periodNanos) {
    for (long n = 0; more(n); n++) {
      long due = started + n * periodNanos;
      for (long wait = due - System.nanoTime(); wait > 0 && running; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      if (!running) {
        return;
      }
      if (inFlight.sum() >= MAX_OPEN_LOOP_BACKLOG) {
        sent.incrementAndGet();
        record(new CallOutcome(CallOutcome.NOT_SENT, "", 0, "more than " + MAX_OPEN_LOOP_BACKLOG + " calls in flight"),
            due);
        continue;
      }
      send(n, due, () -> { });
    }
  }

  private void send(long n, long from, Runnable then) {
    sent.incrementAndGet();
    inFlight.increment();
    sender.send(requests.get((int) (n % requests.size())), outcome -> {
      record(outcome, from);
      inFlight.decrement();
      then.run();
    });
  }

  private void record(CallOutcome outcome, long from) {
    long now = System.nanoTime();
    long latency = Math.max(0, now - from);
    if (outcome.ok()) {
      batchSizes.add(outcome.batchSize());
      okLatency.recordValue(latency / 1000);
    } else {
      failedLatency.recordValue(latency / 1000);
      errors.computeIfAbsent(outcome.code(), c -> new LongAdder()).increment();
      examples.putIfAbsent(outcome.code(), outcome.description());
    }
    if (calls != null) {
      calls.add(new Call(now, outcome.worker(), outcome.code(), latency));
    }
    ended.increment();
    lastEnd.accumulateAndGet(now, Math::max);
  }

  /** Waits until the driver has sent all the calls it was given (never returns for an unlimited run). */
  void awaitSent() throws InterruptedException {
    driverDone.await();
  }

  /**
   * Stops sending and waits for the calls in flight to end, at most {@code grace}; whatever is
   * still in flight then counts as {@link #outstanding()}.
   */
  public LoadRun stop(Duration grace) throws InterruptedException {
    running = false;
    stopped = System.nanoTime();
    slots.release();
    LockSupport.unpark(driver);
    driverDone.await();
    long until = System.nanoTime() + grace.toNanos();
    while (inFlight.sum() > 0 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    return this;
  }

  /** This run's figures as a step of {@code imagerec bench}. */
  public StepResult result(String label) {
    long ok = okLatency.getTotalCount();
    return new StepResult(label, ended.sum(), errors(), (lastEnd.get() - started) / 1e9, okLatency.copy(),
        ok == 0 ? 0 : (double) batchSizes.sum() / ok, sender.imagesPerCall());
  }

  public long sent() {
    return sent.get();
  }

  /** Calls sent that have not ended; after {@link #stop}, the calls lost. */
  public long outstanding() {
    return inFlight.sum();
  }

  public long ok() {
    return okLatency.getTotalCount();
  }

  /** Failed calls by code name. */
  public Map<String, Long> errors() {
    Map<String, Long> byCode = new TreeMap<>();
    errors.forEach((code, n) -> byCode.put(code, n.sum()));
    return byCode;
  }

  /** The description of the first failure of each code, for messages. */
  public Map<String, String> examples() {
    return new TreeMap<>(examples);
  }

  /** Latencies of the successful calls, in microseconds. */
  public Histogram okLatencyMicros() {
    return okLatency.copy();
  }

  /** Latencies of the failed calls, in microseconds. */
  public Histogram failedLatencyMicros() {
    return failedLatency.copy();
  }

  /** When the run started (System.nanoTime). */
  public long startedAt() {
    return started;
  }

  /** Seconds from the start to {@link #stop}. */
  public double seconds() {
    return ((stopped == 0 ? System.nanoTime() : stopped) - started) / 1e9;
  }

  /** Every call that ended, in the order they ended; only kept when the generator was {@code keepingCalls()}. */
  public List<Call> calls() {
    if (calls == null) {
      throw new IllegalStateException("calls are kept only by LoadGenerator.keepingCalls()");
    }
    return new ArrayList<>(calls);
  }

  /** Failed calls by code name, among those that ended from {@code from} to before {@code to} (nanoTime). */
  public Map<String, Long> errors(long from, long to) {
    Map<String, Long> failed = new TreeMap<>();
    for (Call c : calls()) {
      if (c.at() >= from && c.at() < to && !c.ok()) {
        failed.merge(c.code(), 1L, Long::sum);
      }
    }
    return failed;
  }

  /** Calls per worker among those that ended from {@code from} to before {@code to} and match {@code which}. */
  public Map<String, Long> byWorker(long from, long to, Predicate<Call> which) {
    Map<String, Long> counts = new TreeMap<>();
    for (Call c : calls()) {
      if (c.at() >= from && c.at() < to && which.test(c)) {
        counts.merge(c.worker(), 1L, Long::sum);
      }
    }
    return counts;
  }
}
