package imagerec.balancer.forwarding;

import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.Picker;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * One request forwarded to a worker as a unary call, retried on another worker when the first
 * fails before answering with UNAVAILABLE (worker gone, starting or draining; connection refused).
 *
 * <p>The picked worker's in-flight count goes up when an attempt starts and down exactly once when
 * it ends. The caller's deadline applies to the whole call, retries included. Callbacks to the
 * {@link Listener} come from gRPC threads, one at a time, and {@link Listener#onClose} exactly once.
 */
final class ForwardedCall {
  /** Receives the outcome. */
  interface Listener {
    void onResponse(byte[] response);

    void onClose(Status status, Metadata trailers);
  }

  private final MethodDescriptor<byte[], byte[]> method;
  private final byte[] request;
  private final Metadata headers;
  private final Deadline deadline;
  private final WorkerRegistry registry;
  private final Picker picker;
  private final int maxAttempts;
  private final Listener listener;
  private final List<WorkerEndpoint> tried = new ArrayList<>(2);
  private volatile ClientCall<byte[], byte[]> current;
  private volatile boolean cancelled;

  ForwardedCall(MethodDescriptor<byte[], byte[]> method, byte[] request, Metadata headers,
                Deadline deadline, WorkerRegistry registry, Picker picker, int maxAttempts,
                Listener listener) {
    this.method = method;
    this.request = request;
    this.headers = headers;
    this.deadline = deadline;
    this.registry = registry;
    this.picker = picker;
    this.maxAttempts = maxAttempts;
    this.listener = listener;
  }

  void start() {
    attempt(null);
  }

  /** Cancels the worker call (the client went away); the listener then gets CANCELLED. */
  void cancel() {
    cancelled = true;
    ClientCall<byte[], byte[]> call = current;
    if (call != null) {
      call.cancel("client cancelled", null);
    }
  }

  private void attempt(Status previousFailure) {
    if (deadline != null && deadline.isExpired()) {
      listener.onClose(Status.DEADLINE_EXCEEDED.withDescription("deadline passed in the balancer"
          + (previousFailure == null ? "" : " after: " + previousFailure.getDescription())), new Metadata());
      return;
    }
    WorkerEndpoint worker = picker.pick(registry.snapshot().healthy(), tried);
    if (worker == null) {
      listener.onClose(previousFailure != null ? previousFailure
          : Status.UNAVAILABLE.withDescription("no healthy worker available; check the workers "
              + "with 'imagerec health' or the balancer's log"), new Metadata());
      return;
    }
    tried.add(worker);
    worker.callStarted();
    CallOptions options = deadline == null ? CallOptions.DEFAULT : CallOptions.DEFAULT.withDeadline(deadline);
    ClientCall<byte[], byte[]> call = worker.channel().newCall(method, options);
    current = call;
    call.start(new ClientCall.Listener<>() {
      private boolean responded;

      @Override
      public void onMessage(byte[] message) {
        responded = true;
        listener.onResponse(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        boolean retryable = !responded && !cancelled && status.getCode() == Status.Code.UNAVAILABLE
            && tried.size() < maxAttempts;
        worker.callFinished(isWorkerFailure(status));
        if (retryable) {
          attempt(status.augmentDescription("worker " + worker.address()));
        } else {
          listener.onClose(status, trailers);
        }
      }
    }, headers);
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    if (cancelled) {
      call.cancel("client cancelled", null);
    }
  }

  /** Failures that say something about the worker, not about the request. */
  private static boolean isWorkerFailure(Status status) {
    return switch (status.getCode()) {
      case UNAVAILABLE, INTERNAL, UNKNOWN, DEADLINE_EXCEEDED -> true;
      default -> false;
    };
  }
}
