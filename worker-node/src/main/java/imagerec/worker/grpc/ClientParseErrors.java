package imagerec.worker.grpc;

import imagerec.grpc.ByteMarshaller;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;

/**
 * Makes a malformed request message the client's mistake. grpc-java parses request messages on the
 * transport and fails a call whose message does not parse with UNKNOWN ("Application error
 * processing RPC"), which DESIGN.md forbids for client mistakes; here the transport hands over raw
 * bytes, and they are parsed in the call, where a failure closes it with INVALID_ARGUMENT.
 */
public final class ClientParseErrors {
  private ClientParseErrors() {}

  /** {@code service}, with every request parsed inside the call. */
  public static ServerServiceDefinition wrap(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    java.util.List<ServerMethodDefinition<byte[], ?>> methods = new java.util.ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<byte[], ?> wrapped = wrap(method);
      methods.add(wrapped);
      descriptor.addMethod(wrapped.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(builder::addMethod);
    return builder.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<byte[], RespT> wrap(ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    MethodDescriptor<byte[], RespT> raw = method.toBuilder(ByteMarshaller.INSTANCE, method.getResponseMarshaller()).build();
    ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
    ServerCallHandler<byte[], RespT> parsing = (call, headers) -> {
      ServerCall.Listener<ReqT> listener = handler.startCall(typed(call, method), headers);
      return new ServerCall.Listener<>() {
        private boolean failed;

        @Override
        public void onMessage(byte[] message) {
          if (failed) {
            return;
          }
          ReqT request;
          try {
            request = method.parseRequest(new ByteArrayInputStream(message));
          } catch (RuntimeException e) {
            failed = true;
            call.close(Status.INVALID_ARGUMENT.withDescription("malformed request: not a valid "
                + method.getFullMethodName() + " message"), new Metadata());
            return;
          }
          listener.onMessage(request);
        }

        @Override
        public void onHalfClose() {
          if (!failed) {
            listener.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          listener.onCancel();
        }

        @Override
        public void onComplete() {
          listener.onComplete();
        }

        @Override
        public void onReady() {
          listener.onReady();
        }
      };
    };
    return ServerMethodDefinition.create(raw, parsing);
  }

  /**
   * The call as the typed handler sees it: everything delegates; only the descriptor differs. The
   * request type appears in no method of a server call but {@code getMethodDescriptor}, which is
   * overridden, so the cast cannot fail at run time.
   */
  @SuppressWarnings("unchecked")
  private static <ReqT, RespT> ServerCall<ReqT, RespT> typed(ServerCall<byte[], RespT> call,
                                                            MethodDescriptor<ReqT, RespT> method) {
    return new ForwardingServerCall.SimpleForwardingServerCall<>((ServerCall<ReqT, RespT>) (ServerCall<?, RespT>) call) {
      @Override
      public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
        return method;
      }
    };
  }
}
