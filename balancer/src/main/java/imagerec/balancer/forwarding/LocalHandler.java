package imagerec.balancer.forwarding;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Serves a unary method of a byte-forwarding service in the balancer itself: parses the request
 * with the generated marshaller, lets {@code answer} reply, and writes the reply as bytes. A
 * request that cannot be parsed is INVALID_ARGUMENT.
 */
record LocalHandler<Q, A>(MethodDescriptor<Q, A> method, ServerCalls.UnaryMethod<Q, A> answer)
    implements ServerCallHandler<byte[], byte[]> {

  @Override
  public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> call, Metadata headers) {
    call.request(1);
    return new ServerCall.Listener<>() {
      private byte[] request = new byte[0];

      @Override
      public void onMessage(byte[] message) {
        request = message;
      }

      @Override
      public void onHalfClose() {
        Q parsed;
        try {
          parsed = method.parseRequest(new ByteArrayInputStream(request));
        } catch (RuntimeException e) {
          call.close(Status.INVALID_ARGUMENT.withDescription("cannot parse the " + method.getBareMethodName()
              + " request: " + e.getMessage()), new Metadata());
          return;
        }
        answer.invoke(parsed, new StreamObserver<>() {
          @Override
          public void onNext(A value) {
            try (InputStream in = method.streamResponse(value)) {
              call.sendHeaders(new Metadata());
              call.sendMessage(in.readAllBytes());
            } catch (IOException e) {
              throw new IllegalStateException("writing a message to memory", e);
            }
          }

          @Override
          public void onError(Throwable t) {
            Metadata trailers = Status.trailersFromThrowable(t);
            call.close(Status.fromThrowable(t), trailers == null ? new Metadata() : trailers);
          }

          @Override
          public void onCompleted() {
            call.close(Status.OK, new Metadata());
          }
        });
      }
    };
  }
}
