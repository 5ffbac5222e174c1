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

}
