package imagerec.balancer.forwarding;

import imagerec.balancer.registry.WorkerRegistry;
import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import imagerec.balancer.routing.OutlierDetector;
import imagerec.balancer.routing.Picker;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * What every forwarded call shares: the registry, the picker, the retry policy and budget, the
 * outlier detector, and the balancer's own limit on calls in flight. Thread-safe.
 */
final class Forwarder {
  final WorkerRegistry registry;
  final Picker picker;
  final int maxAttempts;
  final RetryBudget retryBudget;
  final OutlierDetector outliers;
  final ForwardingObserver observer;
  final Tracing tracing;
  final AccessLog accessLog;
  /** Options of every call to a worker: the balancer's own token for the workers, if any. */
  final CallOptions callOptions;
  final Admission admission;

  Forwarder(WorkerRegistry registry, Picker picker, int maxAttempts, RetryBudget retryBudget,
            OutlierDetector outliers, Admission admission, ForwardingObserver observer, Tracing tracing,
            AccessLog accessLog, CallCredentials workerCredentials) {
    this.registry = registry;
    this.picker = picker;
    this.maxAttempts = maxAttempts;
    this.retryBudget = retryBudget;
    this.outliers = outliers;
    this.admission = admission;
    this.observer = observer;
    this.tracing = tracing;
    this.accessLog = accessLog;
    this.callOptions = workerCredentials == null ? CallOptions.DEFAULT
        : CallOptions.DEFAULT.withCallCredentials(workerCredentials);
  }

  /** A call forwarding {@code request} to the least-loaded healthy worker once started. */
  ForwardedCall create(MethodDescriptor<byte[], byte[]> method, byte[] request, Metadata headers,
                       Deadline deadline, ForwardedCall.Listener listener) {
    return new ForwardedCall(this, method, request, headers, deadline, listener);
  }
}
