package imagerec.balancer.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import imagerec.grpc.WireHeaders;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP caller's request headers, passed on to the balancer's own services in process, which
 * treat them as a gRPC caller's: {@code Authorization} (checked as the token is) and the cache
 * opt-out ({@code imagerec-cache: no}, or {@code Cache-Control: no-cache} or {@code no-store}).
 * The call's {@code imagerec-cache} trailer comes back as the HTTP response header of that name.
 */
final class CallerHeaders {
  private CallerHeaders() {
  }

  /** {@code stub} carrying {@code exchange}'s headers, and setting its cache outcome on {@code exchange}'s response. */
  static <S extends AbstractStub<S>> S of(S stub, HttpExchange exchange) {
    Headers request = exchange.getRequestHeaders();
    return stub.withInterceptors(new Relay(request.getFirst("Authorization"), optsOutOfCache(request), exchange));
  }

  /** {@code stub} sending {@code authorization} as its {@code authorization} header; unchanged when null. */
  static <S extends AbstractStub<S>> S carrying(S stub, String authorization) {
    return authorization == null ? stub : stub.withInterceptors(new Relay(authorization, false, null));
  }

  /** Whether a request asks not to be answered from the cache, nor to have its answer kept. */
  static boolean optsOutOfCache(Headers request) {
    if ("no".equalsIgnoreCase(strip(request.getFirst(WireHeaders.CACHE.name())))) {
      return true;
    }
    for (String value : request.getOrDefault("Cache-Control", List.of())) {
      for (String directive : value.split(",")) {
        String d = directive.strip().toLowerCase(Locale.ROOT);
        if (d.equals("no-cache") || d.equals("no-store")) {
          return true;
        }
      }
    }
    return false;
  }

  private static String strip(String value) {
    return value == null ? null : value.strip();
  }

  private record Relay(String authorization, boolean noCache, HttpExchange answerTo) implements ClientInterceptor {
    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<A> listener, Metadata headers) {
          if (authorization != null) {
            headers.put(WireHeaders.AUTHORIZATION, authorization);
          }
          if (noCache) {
            headers.put(WireHeaders.CACHE, "no");
          }
          super.start(answerTo == null ? listener : new SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              String outcome = trailers.get(WireHeaders.CACHE);
              if (outcome != null) { // before the blocking call returns, so before the answer is sent
                answerTo.getResponseHeaders().set(WireHeaders.CACHE.name(), outcome);
              }
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }
}
