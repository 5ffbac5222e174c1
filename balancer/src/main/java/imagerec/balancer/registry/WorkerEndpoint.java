package imagerec.balancer.registry;

import io.grpc.ManagedChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One worker as the balancer sees it: its address, the channel to it, and the load the balancer
 * has put on it. Health lives in the {@link WorkerRegistry} snapshot, not here.
 *
 * <p>Thread-safe: the counters are atomic. Every forwarded call calls {@link #callStarted()} once
 * and {@link #callFinished(boolean)} exactly once.
 */
public final class WorkerEndpoint {
  private final String address;
  private final String source;
  private final ManagedChannel channel;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private volatile long ejectedUntilNanos;
  private volatile boolean ejected;
  private volatile int ejections;
  private volatile long overloadedUntilNanos;
  private volatile boolean overloaded;
  private volatile int reportedInFlight = -1;
  private volatile int reportedQueueDepth = -1;
  private volatile List<String> models = List.of();
  private volatile ModelCatalog catalog;
  private final LatencyEstimate latency = new LatencyEstimate();

  /**
   * @param source where the balancer learned of it ("static" for --workers)
   */
  public WorkerEndpoint(String address, String source, ManagedChannel channel) {
    this.address = address;
    this.source = source;
    this.channel = channel;
  }

  public String address() {
    return address;
  }

  public String source() {
    return source;
  }

  public ManagedChannel channel() {
    return channel;
  }

  /** Calls forwarded to this worker that have not finished. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Calls that finished, successfully or not. */
  public long completed() {
    return completed.get();
  }

  /** Calls that finished with a failure the worker or the connection caused. */
  public long failed() {
    return failed.get();
  }

  public void callStarted() {
    inFlight.incrementAndGet();
  }

  public void callFinished(boolean workerFailure) {
    inFlight.decrementAndGet();
    completed.incrementAndGet();
    if (workerFailure) {
      failed.incrementAndGet();
    }
  }

  /** Counts a failure in a row; returns how many there have been. */
  public int recordFailure() {
    return consecutiveFailures.incrementAndGet();
  }

  public void resetFailures() {
    consecutiveFailures.set(0);
  }

  /** Leaves the worker out of routing until {@code untilNanos} (System.nanoTime() scale). */
  public void eject(long untilNanos) {
    ejectedUntilNanos = untilNanos;
    ejected = true;
    ejections++;
    consecutiveFailures.set(0);
  }

  /** Whether the worker is ejected at {@code nowNanos}. */
  public boolean isEjected(long nowNanos) {
    return ejected && nowNanos - ejectedUntilNanos < 0;
  }

  /** When the current or last ejection ends (nanoTime scale), valid if {@link #ejections()} > 0. */
  public long ejectedUntilNanos() {
    return ejectedUntilNanos;
  }

  /** How many times the worker was ejected. */
  public int ejections() {
    return ejections;
  }

  /** The worker shed a call (RESOURCE_EXHAUSTED): count it as full until {@code untilNanos}. */
  public void markOverloaded(long untilNanos) {
    overloadedUntilNanos = untilNanos;
    overloaded = true;
  }

  /** Whether the worker said it was full and that is still recent at {@code nowNanos}. */
  public boolean isOverloaded(long nowNanos) {
    return overloaded && nowNanos - overloadedUntilNanos < 0;
  }

  /** How long a worker that reported a full queue counts as full (it gives no retry hint then). */
  static final long FULL_QUEUE_NANOS = 100_000_000L;

  /**
   * Records the load a worker reported (in a call's trailers or its registration stream). A queue
   * at its capacity counts as full, like a refusal, for {@link #FULL_QUEUE_NANOS}: the next call
   * sent there would be refused.
   *
   * @param capacity the worker's queue capacity, or 0 when it did not say
   */
  public void reportLoad(int inFlight, int queueDepth, int capacity, long nowNanos) {
    reportedInFlight = inFlight;
    reportedQueueDepth = queueDepth;
    if (capacity > 0 && queueDepth >= capacity) {
      markOverloaded(nowNanos + FULL_QUEUE_NANOS);
    }
  }

  /** Calls in progress on the worker as it last reported them (-1 before any report). */
  public int reportedInFlight() {
    return reportedInFlight;
  }

  /** Images waiting for inference on the worker as it last reported them (-1 before any report). */
  public int reportedQueueDepth() {
    return reportedQueueDepth;
  }

  /** Records the latency of a call the worker answered successfully (see {@link LatencyEstimate}). */
  public void recordLatency(long latencyNanos, long nowNanos) {
    latency.record(latencyNanos, nowNanos);
  }

  /**
   * The worker's recent call latency in nanoseconds (fading while nothing is in flight there); -1
   * before any call succeeded.
   */
  public double latencyNanos(long nowNanos) {
    return latency.nanos(nowNanos, inFlight.get() == 0);
  }

  /** The models the worker said it serves (empty when it did not say). */
  public List<String> models() {
    return models;
  }

  /** The models the worker serves, as its {@code ListModels} last said; null until it answered. */
  public ModelCatalog catalog() {
    return catalog;
  }

  public void setCatalog(ModelCatalog catalog) {
    this.catalog = catalog;
  }

  /**
   * Whether calls for {@code model} (the worker's default for "") of {@code version} (any for "")
   * may go to this worker: it serves them, or its catalog is not known yet.
   */
  public boolean mayServe(String model, String version) {
    ModelCatalog c = catalog;
    return c == null || c.serves(model, version);
  }

  public void setModels(List<String> models) {
    this.models = List.copyOf(models);
  }

  @Override
  public String toString() {
    return address;
  }
}
