package imagerec.balancer.forwarding;

import imagerec.balancer.registry.WorkerEndpoint;
import io.grpc.Status;

/** Told what forwarding does, for metrics; called on gRPC threads, so it must not block. */
public interface ForwardingObserver {
  /** An attempt on {@code worker} ended with {@code code} after {@code nanos}. */
  void attemptEnded(WorkerEndpoint worker, Status.Code code, long nanos);

  /** A call is tried again on another worker after an attempt ended with {@code code}. */
  void retried(Status.Code code);

  /** A call was refused because the balancer is at its limit of calls in flight. */
  void rejected();

  /**
   * A forwarded call (a unary call, or one item of a stream) ended with {@code code} after
   * {@code nanos}, retries included: what its client saw.
   *
   * @param method the bare method name, as {@code Recognize}
   */
  void callEnded(String method, Status.Code code, long nanos);

  /** Tells {@code first}, then {@code second}. */
  static ForwardingObserver both(ForwardingObserver first, ForwardingObserver second) {
    return new ForwardingObserver() {
      @Override
      public void attemptEnded(WorkerEndpoint worker, Status.Code code, long nanos) {
        first.attemptEnded(worker, code, nanos);
        second.attemptEnded(worker, code, nanos);
      }

      @Override
      public void retried(Status.Code code) {
        first.retried(code);
        second.retried(code);
      }

      @Override
      public void rejected() {
        first.rejected();
        second.rejected();
      }

      @Override
      public void callEnded(String method, Status.Code code, long nanos) {
        first.callEnded(method, code, nanos);
        second.callEnded(method, code, nanos);
      }
    };
  }

}
