package imagerec.server;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a server's calls from when the transport opens their stream until it is closed (the
 * answer written, or the call cancelled), except the methods it is told to leave out: what a
 * stopping server waits for. Counted at the stream, it sees a call accepted just before shutdown
 * whose handler has not run yet, and one whose answer is still being written; a count kept in an
 * interceptor misses both, and cancelling them then fails calls a graceful stop owes an answer.
 * Thread-safe.
 */
public final class OpenCalls extends ServerStreamTracer.Factory {
  /** A health watch: open for as long as its client watches, never owed an answer. */
  public static final String HEALTH_WATCH = "grpc.health.v1.Health/Watch";

  private static final ServerStreamTracer UNCOUNTED = new ServerStreamTracer() {};

  private final Set<String> leftOut;
  private final AtomicInteger open = new AtomicInteger();
  /** One for every counted stream: gRPC tells a stream's tracers it closed once only. */
  private final ServerStreamTracer counted = new ServerStreamTracer() {
    @Override
    public void streamClosed(Status status) {
      open.decrementAndGet();
    }
  };

  /** @param leftOut full method names not counted, as {@link #HEALTH_WATCH} */
  public OpenCalls(String... leftOut) {
    this.leftOut = Set.of(leftOut);
  }

  /** Calls open now. */
  public int open() {
    return open.get();
  }

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    if (leftOut.contains(fullMethodName)) {
      return UNCOUNTED;
    }
    open.incrementAndGet();
    return counted;
  }
}
