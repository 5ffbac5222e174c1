package imagerec.balancer.forwarding;

import io.grpc.Metadata;
import io.grpc.Status;

/** The answer when the balancer itself is at its limit of calls in flight. */
final class Overload {
  private static final long PUSHBACK_MS = 100;

  private Overload() {}

  static Status status(Forwarder forwarder) {
    return Status.RESOURCE_EXHAUSTED.withDescription("balancer at its limit of " + forwarder.maxInFlight()
        + " calls in flight; retry after " + PUSHBACK_MS + " ms");
  }

  static Metadata trailers() {
    Metadata trailers = new Metadata();
    trailers.put(ForwardedCall.RETRY_PUSHBACK_MS, Long.toString(PUSHBACK_MS));
    return trailers;
  }
}
