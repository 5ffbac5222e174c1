package imagerec.balancer.forwarding;

import imagerec.grpc.WireHeaders;
import imagerec.security.TokenAuthenticator;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;

/**
 * Serves a unary method by forwarding the request bytes to a worker serving the model it names
 * (see {@link ModelFields}) and the worker's response, status and trailers back unchanged.
 */
record UnaryHandler(MethodDescriptor<byte[], byte[]> workerMethod, ModelFields fields, Forwarder forwarder)
    implements ServerCallHandler<byte[], byte[]> {

  @Override
  public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> call, Metadata headers) {
    headers.discardAll(WireHeaders.AUTHORIZATION); // the caller's credentials are for the balancer, never for a worker
    Deadline deadline = Context.current().getDeadline();
    call.request(2); // a second message would be a client error, caught below
    return new ServerCall.Listener<>() {
      private byte[] request;
      private Forwarded forwarded;
      private boolean closed;

      @Override
      public void onMessage(byte[] message) {
        if (request != null) {
          closed = true;
          call.close(Status.INVALID_ARGUMENT.withDescription("too many requests for a unary method"),
              new Metadata());
          return;
        }
        request = message;
      }

      @Override
      public void onHalfClose() {
        if (closed) {
          return;
        }
        if (request == null) {
          call.close(Status.INVALID_ARGUMENT.withDescription("no request message sent"), new Metadata());
          return;
        }
        Status refused = forwarder.admission.tryAdmit(request.length);
        if (refused != null) {
          call.close(refused, Admission.trailers());
          return;
        }
        int size = request.length;
        forwarded = forwarder.create(workerMethod, fields, request, headers, deadline, new ForwardedCall.Listener() {
          @Override
          public void onResponse(byte[] response) {
            call.sendHeaders(new Metadata());
            call.sendMessage(response);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            forwarder.admission.release(size);
            call.close(status, trailers);
          }
        });
        forwarded.start();
      }

      @Override
      public void onCancel() {
        if (forwarded != null) {
          forwarded.cancel();
        }
      }
    };
  }
}
