package imagerec.worker.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;

/**
 * A stand-in for a service that is not ready yet: every call is answered UNAVAILABLE (so clients
 * and the balancer retry elsewhere) until the real service replaces it in the registry.
 */
public final class StartingService {
  private StartingService() {}

  /** A definition of {@code descriptor} whose every method fails with UNAVAILABLE and {@code reason}. */
  public static ServerServiceDefinition of(ServiceDescriptor descriptor, String reason) {
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor);
    for (MethodDescriptor<?, ?> method : descriptor.getMethods()) {
      add(builder, method, reason);
    }
    return builder.build();
  }

  private static <ReqT, RespT> void add(ServerServiceDefinition.Builder builder,
                                        MethodDescriptor<ReqT, RespT> method, String reason) {
    ServerCallHandler<ReqT, RespT> handler = (call, headers) -> {
      call.close(Status.UNAVAILABLE.withDescription(reason), new Metadata());
      return new ServerCall.Listener<>() {};
    };
    builder.addMethod(method, handler);
  }
}
