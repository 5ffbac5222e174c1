package imagerec.worker.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import java.util.Map;

/**
 * A stand-in for a service that is not ready yet: every call is answered UNAVAILABLE (so clients
 * and the balancer retry elsewhere) until the real service replaces it in the registry, except the
 * unary methods given a fixed answer (a liveness question is answered "live" while loading).
 */
public final class StartingService {
  private StartingService() {}

  /** A definition of {@code descriptor} whose every method fails with UNAVAILABLE and {@code reason}. */
  public static ServerServiceDefinition of(ServiceDescriptor descriptor, String reason) {
    return of(descriptor, reason, Map.of());
  }

  /**
   * As {@link #of(ServiceDescriptor, String)}, but the unary methods named in {@code answers} (by
   * full method name) answer their fixed response.
   */
  public static ServerServiceDefinition of(ServiceDescriptor descriptor, String reason, Map<String, ?> answers) {
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor);
    for (MethodDescriptor<?, ?> method : descriptor.getMethods()) {
      add(builder, method, reason, answers.get(method.getFullMethodName()));
    }
    return builder.build();
  }

  private static <ReqT, RespT> void add(ServerServiceDefinition.Builder builder, MethodDescriptor<ReqT, RespT> method,
                                        String reason, Object answer) {
    if (answer != null && method.getType() == MethodDescriptor.MethodType.UNARY) {
      @SuppressWarnings("unchecked")
      RespT response = (RespT) answer;
      builder.addMethod(method, ServerCalls.asyncUnaryCall((request, responses) -> {
        responses.onNext(response);
        responses.onCompleted();
      }));
      return;
    }
    ServerCallHandler<ReqT, RespT> handler = (call, headers) -> {
      call.close(Status.UNAVAILABLE.withDescription(reason), new Metadata());
      return new ServerCall.Listener<>() {};
    };
    builder.addMethod(method, handler);
  }
}
