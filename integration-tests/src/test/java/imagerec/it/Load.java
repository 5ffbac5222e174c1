package imagerec.it;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;

/**
 * Unary Recognize load for the fault tests, with a ledger of every call: each call sent is
 * counted once when it starts and once when it completes (answer or status), so that after
 * {@link #stop()} {@code sent - completed} is the number of calls lost (a hang), which must be 0.
 *
 * <p>Closed loop ({@link #closedLoop}) keeps N calls outstanding; open loop ({@link #openLoop})
 * starts calls on a fixed schedule whatever the servers do, which is how overload is offered.
 */
final class Load {
  /** One completed call: when it completed (nanoTime), who answered, its status, its latency. */
  record Outcome(long at, String worker, Status.Code code, long latencyNanos) {}

  private final RecognizerGrpc.RecognizerStub stub;
  private final RecognizeRequest request;
  private final Duration deadline;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "load");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong outstanding = new AtomicLong();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final Map<Status.Code, String> examples = new java.util.concurrent.ConcurrentHashMap<>();
  private final Recorder okLatency = new Recorder(3);
  private final Recorder failedLatency = new Recorder(3);
  private volatile boolean running = true;
  private long started;
  private long stopped;

  private Load(RecognizerGrpc.RecognizerStub stub, RecognizeRequest request, Duration deadline) {
    this.stub = stub;
    this.request = request;
    this.deadline = deadline;
  }

  /** Keeps {@code concurrency} calls outstanding, each with {@code deadline}, until {@link #stop()}. */
  static Load closedLoop(RecognizerGrpc.RecognizerStub stub, RecognizeRequest request, int concurrency,
                         Duration deadline) {
    Load load = new Load(stub, request, deadline);
    load.started = System.nanoTime();
    for (int i = 0; i < concurrency; i++) {
      load.send(true);
    }
    return load;
  }

  /** Starts {@code perSecond} calls a second, each with {@code deadline}, until {@link #stop()}. */
  static Load openLoop(RecognizerGrpc.RecognizerStub stub, RecognizeRequest request, double perSecond,
                       Duration deadline) {
    Load load = new Load(stub, request, deadline);
    load.started = System.nanoTime();
    long period = (long) (1e9 / perSecond);
    // a tick every millisecond starts the calls that are due: steady at any rate
    long[] due = {load.started};
    load.scheduler.scheduleAtFixedRate(() -> {
      long now = System.nanoTime();
      while (load.running && due[0] <= now) {
        load.send(false);
        due[0] += period;
      }
    }, 0, 1, TimeUnit.MILLISECONDS);
    return load;
  }

  private void send(boolean again) {
    if (!running) {
      return;
    }
    sent.incrementAndGet();
    outstanding.incrementAndGet();
    long start = System.nanoTime();
    stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).recognize(request, new StreamObserver<>() {
      private String worker = "";

      @Override
      public void onNext(RecognizeResponse response) {
        worker = response.getWorker();
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        examples.putIfAbsent(status.getCode(), String.valueOf(status.getDescription()));
        done(status.getCode(), worker);
      }

      @Override
      public void onCompleted() {
        done(Status.Code.OK, worker);
      }

      private void done(Status.Code code, String worker) {
        long now = System.nanoTime();
        outcomes.add(new Outcome(now, worker, code, now - start));
        (code == Status.Code.OK ? okLatency : failedLatency).recordValue(Math.max(1, (now - start) / 1000));
        outstanding.decrementAndGet();
        if (again) {
          send(true);
        }
      }
    });
  }

  /**
   * Stops sending and waits for the calls in flight to complete, at most their deadline plus 10
   * seconds; whatever is still outstanding then is counted as lost.
   */
  Load stop() throws InterruptedException {
    running = false;
    stopped = System.nanoTime();
    scheduler.shutdownNow();
    long until = System.nanoTime() + deadline.plusSeconds(10).toNanos();
    while (outstanding.get() > 0 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    return this;
  }

  long sent() {
    return sent.get();
  }

  /** Calls that never completed (only meaningful after {@link #stop()}). */
  long lost() {
    return outstanding.get();
  }

  List<Outcome> outcomes() {
    return new ArrayList<>(outcomes);
  }

  long ok() {
    return outcomes.stream().filter(o -> o.code() == Status.Code.OK).count();
  }

  /** Failed calls by status. */
  Map<Status.Code, Long> failures() {
    return failures(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** Failed calls by status, among those completed from {@code from} to before {@code to} (nanoTime). */
  Map<Status.Code, Long> failures(long from, long to) {
    Map<Status.Code, Long> failed = new EnumMap<>(Status.Code.class);
    for (Outcome o : outcomes) {
      if (o.at() >= from && o.at() < to && o.code() != Status.Code.OK) {
        failed.merge(o.code(), 1L, Long::sum);
      }
    }
    return failed;
  }

  /** The description of the first failure of each status, for messages. */
  Map<Status.Code, String> examples() {
    return new TreeMap<>(examples);
  }

  /** Answers per worker among calls completed after {@code from} (nanoTime) and matching {@code which}. */
  Map<String, Long> byWorker(long from, long to, Predicate<Outcome> which) {
    Map<String, Long> counts = new TreeMap<>();
    for (Outcome o : outcomes) {
      if (o.at() >= from && o.at() < to && which.test(o)) {
        counts.merge(o.worker(), 1L, Long::sum);
      }
    }
    return counts;
  }

  /** Latencies of the successful calls, in microseconds. */
  Histogram okLatencyMicros() {
    return okLatency.getIntervalHistogram();
  }

  /** Latencies of the failed calls, in microseconds. */
  Histogram failedLatencyMicros() {
    return failedLatency.getIntervalHistogram();
  }

  /** Seconds between the start and {@link #stop()}. */
  double seconds() {
    return (stopped - started) / 1e9;
  }

  long startedAt() {
    return started;
  }
}
