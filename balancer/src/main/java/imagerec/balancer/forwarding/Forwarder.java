package imagerec.balancer.forwarding;

import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.Picker;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/** Creates {@link ForwardedCall}s with the balancer's registry, picker and retry policy. */
final class Forwarder {
  private final WorkerRegistry registry;
  private final Picker picker;
  private final int maxAttempts;

  Forwarder(WorkerRegistry registry, Picker picker, int maxAttempts) {
    this.registry = registry;
    this.picker = picker;
    this.maxAttempts = maxAttempts;
  }

  /** A call forwarding {@code request} to the least-loaded healthy worker once started. */
  ForwardedCall create(MethodDescriptor<byte[], byte[]> method, byte[] request, Metadata headers,
                        Deadline deadline, ForwardedCall.Listener listener) {
    return new ForwardedCall(method, request, headers, deadline, registry, picker, maxAttempts,
        listener);
  }
}
