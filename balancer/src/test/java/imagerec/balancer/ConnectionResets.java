package imagerec.balancer;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the balancer's connection to chosen workers "reset" for Recognize calls: each such call ends,
 * on another thread, as grpc-java's Netty transport reports a reset it meets while writing
 * (UNKNOWN "channel closed", cause {@link ClosedChannelException}); health checks pass untouched.
 */
final class ConnectionResets {
  private final Set<String> resetting = ConcurrentHashMap.newKeySet();
  private final AtomicInteger resets = new AtomicInteger();

  void reset(String worker) {
    resetting.add(worker);
  }

  /** Calls that ended in a reset so far. */
  int count() {
    return resets.get();
  }

  /** The interceptor for the channel to {@code worker}. */
  ClientInterceptor on(String worker) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (!resetting.contains(worker) || !method.getBareMethodName().equals("Recognize")) {
          return next.newCall(method, options);
        }
        return new ClientCall<>() {
          private Listener<R> listener;

          @Override
          public void start(Listener<R> listener, Metadata headers) {
            this.listener = listener;
          }

          @Override
          public void request(int count) {}

          @Override
          public void cancel(String message, Throwable cause) {}

          @Override
          public void sendMessage(Q message) {}

          @Override
          public void halfClose() {
            resets.incrementAndGet();
            CompletableFuture.runAsync(() -> listener.onClose(
                Status.UNKNOWN.withDescription("channel closed").withCause(new ClosedChannelException()), new Metadata()));
          }
        };
      }
    };
  }
}
