package imagerec.balancer.registry;

import io.grpc.ManagedChannel;
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

  @Override
  public String toString() {
    return address;
  }
}
