package imagerec.balancer.forwarding;

import imagerec.grpc.WireHeaders;
import imagerec.security.ByteBudget;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The balancer's own limits on what it holds at once: calls in flight, and bytes of requests held
 * (gRPC calls and HTTP uploads together), so that no mix of traffic can grow its memory past
 * {@code maxBytes}. Past either limit the answer is RESOURCE_EXHAUSTED naming the limit, with a
 * {@code imagerec-retry-after-ms} hint. Thread-safe, lock-free.
 */
public final class Admission {
  private static final long PUSHBACK_MS = 100;

  private final int maxCalls;
  private final ByteBudget bytes;
  private final Runnable onReject;
  private final AtomicInteger calls = new AtomicInteger();

  /**
   * @param maxCalls calls (and stream items) forwarded at once
   * @param maxBytes request bytes held at once
   * @param onReject told of every refusal (a meter)
   */
  public Admission(int maxCalls, long maxBytes, Runnable onReject) {
    this.maxCalls = maxCalls;
    this.bytes = new ByteBudget(maxBytes);
    this.onReject = onReject;
  }

  /**
   * Admits a call carrying {@code size} request bytes: null when admitted (give it back with
   * {@link #release(long)}), else the status to answer with.
   */
  Status tryAdmit(long size) {
    if (calls.incrementAndGet() > maxCalls) {
      calls.decrementAndGet();
      onReject.run();
      return Status.RESOURCE_EXHAUSTED.withDescription("balancer at its limit of " + maxCalls
          + " calls in flight (--max-in-flight); retry after " + PUSHBACK_MS + " ms");
    }
    if (!tryHold(size)) {
      calls.decrementAndGet();
      return bytesExhausted();
    }
    return null;
  }

  /** Gives back what {@link #tryAdmit(long)} took. */
  void release(long size) {
    calls.decrementAndGet();
    releaseBytes(size);
  }

  /** Reserves {@code size} bytes (an HTTP upload about to be read); false, counted as a refusal, when they do not fit. */
  public boolean tryHold(long size) {
    if (!bytes.tryHold(size)) {
      onReject.run();
      return false;
    }
    return true;
  }

  /** Gives back bytes reserved by {@link #tryHold(long)}. */
  public void releaseBytes(long size) {
    bytes.release(size);
  }

  /** The answer when the byte limit is reached. */
  public Status bytesExhausted() {
    return Status.RESOURCE_EXHAUSTED.withDescription("balancer at its limit of " + bytes.max()
        + " request bytes held (--max-bytes-in-flight); retry after " + PUSHBACK_MS + " ms");
  }

  /** Trailers of a refusal: the retry hint. */
  static Metadata trailers() {
    Metadata trailers = new Metadata();
    trailers.put(WireHeaders.RETRY_AFTER_MS, Long.toString(PUSHBACK_MS));
    return trailers;
  }

  /** Calls in flight now. */
  public int calls() {
    return calls.get();
  }

  /** Request bytes held now. */
  public long bytes() {
    return bytes.held();
  }
}
