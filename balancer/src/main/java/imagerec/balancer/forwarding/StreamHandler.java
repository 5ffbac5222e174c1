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
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Serves a bidirectional stream ({@code RecognizeStream}, {@code ModelStreamInfer}) by routing
 * each item on its own: every request of the client's stream becomes one unary call
 * ({@code Recognize}, {@code ModelInfer}) to the least-loaded healthy worker serving its model at
 * that moment, so a long stream spreads over all workers and each result goes back as soon as it
 * is ready. A failed item becomes an answer carrying its id and the error ({@link StreamItems});
 * the stream goes on.
 *
 * <p>Flow control: at most {@code window} items of one stream are at the workers at once; the next
 * is read from the client only when one finishes. All sends to the client happen under the
 * per-stream lock, as {@link ServerCall} is not thread-safe.
 */
record StreamHandler(MethodDescriptor<byte[], byte[]> workerUnaryMethod, StreamItems items, Forwarder forwarder,
                     int window)
    implements ServerCallHandler<byte[], byte[]> {

  @Override
  public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> call, Metadata headers) {
    headers.discardAll(WireHeaders.AUTHORIZATION); // the caller's credentials are for the balancer, never for a worker
    Deadline deadline = Context.current().getDeadline();
    call.sendHeaders(new Metadata());
    call.request(window);
    return new Stream(call, headers, deadline);
  }

  private final class Stream extends ServerCall.Listener<byte[]> {
    private final ServerCall<byte[], byte[]> call;
    private final Metadata headers;
    private final Deadline deadline;
    private final Set<Forwarded> outstanding = new HashSet<>();
    private boolean halfClosed;
    private boolean done;

    Stream(ServerCall<byte[], byte[]> call, Metadata headers, Deadline deadline) {
      this.call = call;
      this.headers = headers;
      this.deadline = deadline;
    }

    @Override
    public synchronized void onMessage(byte[] request) {
      Status refused = forwarder.admission.tryAdmit(request.length);
      if (refused != null) {
        send(items.error(request, refused));
        call.request(1);
        return;
      }
      int size = request.length;
      Forwarded[] self = new Forwarded[1];
      self[0] = forwarder.create(workerUnaryMethod, items.fields(), request, headers, deadline, new ForwardedCall.Listener() {
        private boolean responded;

        @Override
        public void onResponse(byte[] response) {
          responded = true;
          send(items.answer(response));
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          forwarder.admission.release(size);
          if (!responded) {
            send(items.error(request, status.isOk()
                ? Status.INTERNAL.withDescription("worker sent no result") : status));
          }
          finished(self[0]);
        }
      });
      outstanding.add(self[0]); // before start: a call that fails at once finishes right here
      self[0].start();
    }

    private synchronized void send(byte[] response) {
      if (!done) {
        call.sendMessage(response);
      }
    }

    private synchronized void finished(Forwarded forwarded) {
      outstanding.remove(forwarded);
      if (!done) {
        call.request(1);
        closeIfComplete();
      }
    }

    @Override
    public synchronized void onHalfClose() {
      halfClosed = true;
      closeIfComplete();
    }

    @Override
    public void onCancel() {
      List<Forwarded> toCancel;
      synchronized (this) {
        done = true;
        toCancel = List.copyOf(outstanding);
      }
      toCancel.forEach(Forwarded::cancel);
    }

    private void closeIfComplete() {
      if (halfClosed && outstanding.isEmpty() && !done) {
        done = true;
        call.close(Status.OK, new Metadata());
      }
    }
  }
}
