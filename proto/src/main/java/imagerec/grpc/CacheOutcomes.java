package imagerec.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what a balancer's response cache made of each unary call ({@link WireHeaders#CACHE}
 * trailer: hit, miss, coalesced), so a benchmark reports the hit ratio the balancer saw and tests
 * check who answered.
 */
public final class CacheOutcomes implements ClientInterceptor {
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method, CallOptions options,
                                                             Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            String outcome = trailers.get(WireHeaders.CACHE);
            if (outcome != null) {
              counts.computeIfAbsent(outcome, o -> new LongAdder()).increment();
            }
            super.onClose(status, trailers);
          }
        }, headers);
      }
    };
  }

  /** The counts so far, by outcome. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** The share of hits and coalesced calls among the calls counted between {@code before} and {@code after}; -1 if none. */
  public static double hitRatio(Map<String, Long> before, Map<String, Long> after) {
    long hits = delta(before, after, "hit") + delta(before, after, "coalesced");
    long all = hits + delta(before, after, "miss");
    return all == 0 ? -1 : (double) hits / all;
  }

  private static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
    return after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
  }
}
