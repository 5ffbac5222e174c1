package imagerec.balancer.forwarding;

import imagerec.balancer.registry.ModelCatalog;
import imagerec.balancer.registry.WorkerEndpoint;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  /**
   * A call forwarding {@code request} to the least-loaded healthy worker serving its model once
   * started. A request naming no model is sent naming the default one ({@link #defaultModel}).
   */
  ForwardedCall create(MethodDescriptor<byte[], byte[]> method, ModelFields fields, byte[] request,
                       Metadata headers, Deadline deadline, ForwardedCall.Listener listener) {
    String model = fields.model(request);
    if (fields.model() != 0 && model.isEmpty()) {
      model = defaultModel(registry.snapshot().healthy());
      if (!model.isEmpty()) {
        request = fields.withModel(request, model);
      }
    }
    return new ForwardedCall(this, method, request, model, fields.version(request), headers, deadline, listener);
  }

  /**
   * The model a request naming none gets: the default model most of the {@code workers} whose
   * models are known have; "" when none is known (each worker then picks its own).
   */
  static String defaultModel(List<WorkerEndpoint> workers) {
    Map<String, Integer> votes = new HashMap<>();
    String best = "";
    int bestVotes = 0;
    for (WorkerEndpoint e : workers) {
      ModelCatalog c = e.catalog();
      if (c != null && !c.defaultModel().isEmpty()) {
        int v = votes.merge(c.defaultModel(), 1, Integer::sum);
        if (v > bestVotes) {
          best = c.defaultModel();
          bestVotes = v;
        }
      }
    }
    return best;
  }

  /** The {@code workers} that serve {@code model} of {@code version} (or whose models are not known yet). */
  static List<WorkerEndpoint> serving(List<WorkerEndpoint> workers, String model, String version) {
    for (WorkerEndpoint e : workers) {
      if (!e.mayServe(model, version)) {
        return workers.stream().filter(w -> w.mayServe(model, version)).toList();
      }
    }
    return workers; // the common case: every worker serves it, nothing to copy
  }
}
