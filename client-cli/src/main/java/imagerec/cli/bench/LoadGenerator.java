package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Drives a {@link CallSender} for one step, either closed-loop (a fixed number of calls in flight,
 * each completion starting the next) or open-loop (calls started at a fixed rate whatever the
 * server does, latency counted from when each call was due). A step ends after a duration or a
 * number of calls, then waits for the calls in flight.
 */
public final class LoadGenerator {
  /** Calls allowed in flight in open-loop mode before further calls count as NOT_SENT. */
  static final int MAX_OPEN_LOOP_BACKLOG = 10_000;

  private final List<RecognizeRequest> requests;

  public LoadGenerator(List<RecognizeRequest> requests) {
    this.requests = requests;
  }

  /** Holds {@code concurrency} calls in flight until {@code duration} passes or {@code count} calls were sent. */
  public StepResult closedLoop(CallSender sender, int concurrency, Duration duration, long count) throws InterruptedException {
    Recording rec = new Recording();
    long end = rec.start + duration.toNanos();
    AtomicLong sent = new AtomicLong();
    Semaphore slots = new Semaphore(concurrency);
    while (true) {
      slots.acquire();
      long n = sent.get();
      if ((count > 0 && n >= count) || (count <= 0 && System.nanoTime() >= end)) {
        slots.release();
        break;
      }
      sent.incrementAndGet();
      long started = System.nanoTime();
      sender.send(requests.get((int) (n % requests.size())), (code, batch) -> {
        rec.record(code, batch, started);
        slots.release();
      });
    }
    slots.acquire(concurrency); // every call in flight has finished
    return rec.result("concurrency " + concurrency);
  }

  /** Starts {@code rate} calls a second until {@code duration} passes or {@code count} calls were started. */
  public StepResult openLoop(CallSender sender, double rate, Duration duration, long count) throws InterruptedException {
    Recording rec = new Recording();
    long period = (long) (1e9 / rate);
    long total = count > 0 ? count : (long) (duration.toNanos() / (double) period);
    LongAdder inFlight = new LongAdder();
    for (long i = 0; i < total; i++) {
      long due = rec.start + i * period;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (inFlight.sum() >= MAX_OPEN_LOOP_BACKLOG) {
        rec.record("NOT_SENT", 0, due);
        continue;
      }
      inFlight.increment();
      sender.send(requests.get((int) (i % requests.size())), (code, batch) -> {
        rec.record(code, batch, due);
        inFlight.decrement();
      });
    }
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (inFlight.sum() > 0 && System.nanoTime() < waitUntil) {
      Thread.sleep(1);
    }
    return rec.result(String.format(java.util.Locale.ROOT, "rate %.0f/s", rate));
  }

  /** Thread-safe accumulation of one step's outcomes. */
  private static final class Recording {
    final long start = System.nanoTime();
    final Histogram latency = new ConcurrentHistogram(3);
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    final LongAdder calls = new LongAdder();
    final LongAdder batchSizes = new LongAdder();
    final AtomicLong lastCompletion = new AtomicLong(start);

    void record(String code, int batchSize, long startedNanos) {
      long now = System.nanoTime();
      calls.increment();
      if (code.equals("OK")) {
        batchSizes.add(batchSize);
        latency.recordValue(Math.max(0, (now - startedNanos) / 1000));
      } else {
        errors.computeIfAbsent(code, c -> new LongAdder()).increment();
      }
      lastCompletion.accumulateAndGet(now, Math::max);
    }

    StepResult result(String label) {
      Map<String, Long> byCode = new TreeMap<>();
      errors.forEach((code, n) -> byCode.put(code, n.sum()));
      long ok = latency.getTotalCount();
      return new StepResult(label, calls.sum(), byCode, (lastCompletion.get() - start) / 1e9, latency.copy(),
          ok == 0 ? 0 : (double) batchSizes.sum() / ok);
    }
  }
}
