package imagerec.balancer.forwarding;

import com.google.protobuf.ByteString;
import imagerec.balancer.cache.CacheKey;
import imagerec.balancer.cache.InFlightCalls;
import imagerec.balancer.cache.RequestDigest;
import imagerec.balancer.cache.ResponseCache;
import imagerec.balancer.registry.ModelCatalog;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.OutlierDetector;
import imagerec.balancer.routing.Picker;
import imagerec.grpc.InferMessages;
import imagerec.grpc.RecognizeMessages;
import imagerec.grpc.WireHeaders;
import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.spi.LoggingEventBuilder;

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
  /** Workers' answers kept for repeated requests; null when the cache is off. */
  final ResponseCache cache;
  final InFlightCalls<CachedCall> inFlight = new InFlightCalls<>();
  /** Asks the workers for their models again: run when a worker answered with another version than it listed. */
  volatile Runnable catalogsStale = () -> {};

  Forwarder(WorkerRegistry registry, Picker picker, int maxAttempts, RetryBudget retryBudget,
            OutlierDetector outliers, Admission admission, ForwardingObserver observer, Tracing tracing,
            AccessLog accessLog, CallCredentials workerCredentials, ResponseCache cache) {
    this.registry = registry;
    this.picker = picker;
    this.maxAttempts = maxAttempts;
    this.retryBudget = retryBudget;
    this.outliers = outliers;
    this.admission = admission;
    this.observer = observer;
    this.tracing = tracing;
    this.accessLog = accessLog;
    this.cache = cache;
    this.callOptions = workerCredentials == null ? CallOptions.DEFAULT
        : CallOptions.DEFAULT.withCallCredentials(workerCredentials);
  }

  /**
   * A call forwarding {@code request} to the least-loaded healthy worker serving its model once
   * started, or answering it from the response cache when it is on and the request may be cached.
   * A request naming no model is sent naming the default one ({@link #defaultModel}).
   */
  Forwarded create(MethodDescriptor<byte[], byte[]> method, ModelFields fields, byte[] request,
                   Metadata headers, Deadline deadline, ForwardedCall.Listener listener) {
    String model = fields.model(request);
    if (fields.model() != 0 && model.isEmpty()) {
      model = defaultModel(registry.snapshot().healthy());
      if (!model.isEmpty()) {
        request = fields.withModel(request, model);
      }
    }
    String version = fields.version(request);
    CacheFields cached = cache == null ? null : CacheFields.of(method.getBareMethodName());
    if (cached != null && !"no".equalsIgnoreCase(headers.get(WireHeaders.CACHE))) {
      CacheKey key = cacheKey(method, fields, cached, request, model, version);
      if (key != null) {
        return new CachedCall(this, key, cached, method, request, version, headers, deadline, listener);
      }
    }
    return forward(method, request, model, version, headers, deadline, "", listener);
  }

  /** A call of {@code request} to a worker serving {@code model} (of {@code version} unless ""). */
  ForwardedCall forward(MethodDescriptor<byte[], byte[]> method, byte[] request, String model, String version,
                        Metadata headers, Deadline deadline, String cacheOutcome, ForwardedCall.Listener listener) {
    return new ForwardedCall(this, method, request, model, version, headers, deadline, cacheOutcome, listener);
  }

  /**
   * The cache key of a request, or null when it may not be cached now: its model's answers are not
   * cacheable ({@code "cacheable": false}), the workers serving it do not agree on its version (a
   * reload under way) or are not known yet, or the bytes are not a readable message.
   */
  private CacheKey cacheKey(MethodDescriptor<byte[], byte[]> method, ModelFields fields, CacheFields cached,
                            byte[] request, String model, String version) {
    List<WorkerEndpoint> healthy = registry.snapshot().healthy();
    String answering = version.isEmpty() ? agreedVersion(healthy, model) : version;
    if (answering == null || !cacheable(healthy, model)) {
      return null;
    }
    ByteString digest = RequestDigest.of(request, cached.requestId(), fields.model(), fields.version());
    return digest == null ? null : new CacheKey(method.getBareMethodName(), model, answering, digest);
  }

  /** The version every known worker serving {@code model} serves, or null when they differ or none is known. */
  static String agreedVersion(List<WorkerEndpoint> workers, String model) {
    String agreed = null;
    for (WorkerEndpoint e : workers) {
      ModelCatalog c = e.catalog();
      if (c == null) {
        return null; // it may serve another version
      }
      String v = c.versionOf(model);
      if (v != null) {
        if (agreed != null && !agreed.equals(v)) {
          return null;
        }
        agreed = v;
      }
    }
    return agreed;
  }

  private static boolean cacheable(List<WorkerEndpoint> workers, String model) {
    return workers.stream().map(WorkerEndpoint::catalog).allMatch(c -> c == null || c.cacheable(model));
  }

  /** The access log's line of a call, when the log is on. */
  void logCall(MethodDescriptor<byte[], byte[]> method, byte[] request, String model, Status status, long nanos,
               String worker, int attempts, io.opentelemetry.context.Context traceParent, String cacheOutcome) {
    if (!accessLog.enabled()) {
      return;
    }
    String requestId = switch (method.getBareMethodName()) {
      case "Recognize" -> RecognizeMessages.requestId(request);
      case "ModelInfer" -> InferMessages.id(request);
      default -> "";
    };
    LoggingEventBuilder line = accessLog.entry(method.getBareMethodName(), requestId, status.getCode(), nanos)
        .addKeyValue("worker", worker)
        .addKeyValue("attempts", attempts);
    if (!model.isEmpty()) {
      line.addKeyValue("model", model);
    }
    if (!cacheOutcome.isEmpty()) {
      line.addKeyValue("cache", cacheOutcome);
    }
    if (!status.isOk()) {
      line.addKeyValue("error", status.getDescription());
    }
    if (traceParent != null) {
      line.addKeyValue("trace_id", Span.fromContext(traceParent).getSpanContext().getTraceId());
    }
    line.log();
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
