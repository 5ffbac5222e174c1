package imagerec.balancer.forwarding;

import imagerec.balancer.cache.CacheKey;
import imagerec.grpc.RawFields;
import imagerec.grpc.WireHeaders;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cacheable request: answered from the response cache when its key is there ({@code hit}); else
 * it waits for an identical call in flight ({@code coalesced}) or, the first of its key, calls a
 * worker and keeps the answer ({@code miss}). The outcome is in the trailer {@code imagerec-cache}.
 *
 * <p>A waiter shares the leader's answer (with its own request id) and the leader's deterministic
 * failures (INVALID_ARGUMENT, NOT_FOUND: the same request fails the same way); after any other
 * failure (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, the leader's caller cancelling) it
 * sends its own call, within its own deadline, so nobody fails because somebody else did. An
 * answer is kept only with the version the key named. Errors are never kept.
 */
final class CachedCall implements Forwarded {
  static final String HIT = "hit";
  static final String MISS = "miss";
  static final String COALESCED = "coalesced";

  private final Forwarder forwarder;
  private final CacheKey key;
  private final CacheFields fields;
  private final MethodDescriptor<byte[], byte[]> method;
  private final byte[] request;
  private final String version;
  private final Metadata headers;
  private final Deadline deadline;
  private final ForwardedCall.Listener listener;
  private final long startNanos;
  /** The caller's gRPC context: a call of its own made on the leader's thread must not inherit the leader's. */
  private final io.grpc.Context context = io.grpc.Context.current();
  /** Set once the listener heard (or will hear, from the worker call) the outcome. */
  private final AtomicBoolean answered = new AtomicBoolean();
  private volatile Forwarded own;
  private volatile boolean cancelled;

  CachedCall(Forwarder forwarder, CacheKey key, CacheFields fields, MethodDescriptor<byte[], byte[]> method,
             byte[] request, String version, Metadata headers, Deadline deadline, ForwardedCall.Listener listener) {
    this.forwarder = forwarder;
    this.key = key;
    this.fields = fields;
    this.method = method;
    this.request = request;
    this.version = version;
    this.headers = headers;
    this.deadline = deadline;
    this.listener = listener;
    this.startNanos = forwarder.outliers.now();
  }

  @Override
  public void start() {
    byte[] kept = forwarder.cache.get(key);
    if (kept != null) {
      end(Status.OK, kept, HIT);
    } else if (forwarder.inFlight.leadOrWait(key, this)) {
      lead();
    }
    // else: waiting for the leader, which hands over its outcome
  }

  private void lead() {
    answered.set(true); // the worker call's listener answers
    own = forwarder.forward(method, request, key.model(), version, headers, deadline, MISS,
        new ForwardedCall.Listener() {
          private byte[] response;

          @Override
          public void onResponse(byte[] answer) {
            response = answer;
            listener.onResponse(answer);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            List<CachedCall> waiters = forwarder.inFlight.finish(key);
            if (status.isOk() && response != null) {
              if (key.version().equals(RawFields.string(response, fields.responseVersion()))) {
                forwarder.cache.put(key, response);
              } else {
                forwarder.catalogsStale.run(); // a reload the catalogs do not show yet: ask now
              }
            }
            trailers.put(WireHeaders.CACHE, MISS);
            listener.onClose(status, trailers);
            if (!waiters.isEmpty()) {
              // not on this thread: a waiter's stream may be another caller's, whose lock this
              // thread must not take while it may hold its own (a leader failing at once, in onMessage)
              byte[] answer = response;
              ForkJoinPool.commonPool().execute(() -> waiters.forEach(w -> w.leaderEnded(status, answer)));
            }
          }
        });
    own.start();
  }

  /** The leader's outcome, handed to this waiter. */
  private void leaderEnded(Status status, byte[] response) {
    if (status.isOk() && response != null) {
      end(Status.OK, response, COALESCED);
    } else if (status.getCode() == Status.Code.INVALID_ARGUMENT || status.getCode() == Status.Code.NOT_FOUND) {
      end(status, null, COALESCED);
    } else if (!cancelled && answered.compareAndSet(false, true)) {
      own = forwarder.forward(method, request, key.model(), version, headers, deadline, MISS, withTrailer(MISS));
      context.run(own::start); // on the leader's thread, whose context ended with the leader's call
    }
  }

  /**
   * Ends this call without a worker call of its own, unless it ended already: with {@code kept}
   * (an answer, given this caller's request id) or with {@code status} alone.
   */
  private void end(Status status, byte[] kept, String how) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    if (how.equals(COALESCED)) {
      forwarder.cache.coalesced();
    }
    if (kept != null) {
      listener.onResponse(RawFields.withString(kept, fields.responseId(), RawFields.string(request, fields.requestId())));
    }
    Metadata trailers = new Metadata();
    trailers.put(WireHeaders.CACHE, how);
    long nanos = forwarder.outliers.now() - startNanos;
    forwarder.observer.callEnded(method.getBareMethodName(), status.getCode(), nanos);
    forwarder.logCall(method, request, key.model(), status, nanos, "", 0, null, how);
    listener.onClose(status, trailers);
  }

  private ForwardedCall.Listener withTrailer(String how) {
    return new ForwardedCall.Listener() {
      @Override
      public void onResponse(byte[] response) {
        listener.onResponse(response);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        trailers.put(WireHeaders.CACHE, how);
        listener.onClose(status, trailers);
      }
    };
  }

  @Override
  public void cancel() {
    cancelled = true;
    Forwarded call = own;
    if (call != null) {
      call.cancel();
      return;
    }
    forwarder.inFlight.leave(key, this);
    if (answered.compareAndSet(false, true)) {
      listener.onClose(Status.CANCELLED.withDescription("client cancelled"), new Metadata());
    }
  }
}
