package imagerec.balancer.forwarding;

import imagerec.balancer.cache.ResponseCache;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.OutlierDetector;
import imagerec.balancer.routing.Picker;
import imagerec.grpc.ByteMarshaller;
import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelMetadataRequest;
import imagerec.v1.GetModelRequest;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.CallCredentials;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The balancer's client-facing services, {@code imagerec.v1.Recognizer} and the Open Inference
 * Protocol's {@code inference.GRPCInferenceService}: calls about a model are forwarded byte for
 * byte to a worker serving it ({@link UnaryHandler}); streams are split into per-item unary calls
 * ({@link StreamHandler}); what the balancer knows itself it answers ({@link OwnAnswers}). Both
 * services share one {@link Forwarder}: routing, retries and their budget, admission, metrics,
 * tracing and access log. Each keeps its generated schema descriptor, so server reflection
 * describes it exactly as a worker's.
 */
public final class ForwardingService {
  private final Forwarder forwarder;
  private final OwnAnswers own;
  private final int streamWindow;

  /**
   * @param maxAttempts attempts per call (1 = no retry), each on a different worker
   * @param retryBudgetRatio retries allowed per call on average (0.2 = at most 20% extra load)
   * @param admission the balancer's limits on calls and bytes held; past them, RESOURCE_EXHAUSTED
   * @param streamWindow items of one client stream at the workers at once
   * @param observer, tracing, accessLog what is recorded about each forwarded call
   * @param workerCredentials sent with every call to a worker (its token), or null
   * @param cache workers' answers kept for repeated requests, or null for none
   * @param version the balancer's version, and {@code extensions} the protocol extensions it
   *     serves, as {@code ServerMetadata} reports them
   */
  public ForwardingService(WorkerRegistry registry, Picker picker, OutlierDetector outliers,
                           int maxAttempts, double retryBudgetRatio, Admission admission,
                           int streamWindow, ForwardingObserver observer, Tracing tracing,
                           AccessLog accessLog, CallCredentials workerCredentials, ResponseCache cache,
                           String version, List<String> extensions) {
    this.forwarder = new Forwarder(registry, picker, maxAttempts, new RetryBudget(retryBudgetRatio, 10, 100),
        outliers, admission, observer, tracing, accessLog, workerCredentials, cache);
    this.own = new OwnAnswers(registry, version, extensions);
    this.streamWindow = streamWindow;
  }

  /**
   * Runs {@code refresh} when a worker answers with another model version than its catalog lists
   * (it reloaded since it was last asked), so that the catalogs, and the cache keys made from them,
   * catch up at once.
   */
  public void onStaleCatalog(Runnable refresh) {
    forwarder.catalogsStale = refresh;
  }

  /** {@code imagerec.v1.Recognizer}. */
  public ServerServiceDefinition recognizer() {
    Map<String, ServerCallHandler<byte[], byte[]>> handlers = new LinkedHashMap<>();
    MethodDescriptor<byte[], byte[]> recognize = unary(RecognizerGrpc.getRecognizeMethod());
    handlers.put("Recognize", new UnaryHandler(recognize,
        new ModelFields(RecognizeRequest.MODEL_FIELD_NUMBER, 0), forwarder));
    handlers.put("RecognizeStream", new StreamHandler(recognize, StreamItems.RECOGNIZE, forwarder, streamWindow));
    handlers.put("GetModel", new UnaryHandler(unary(RecognizerGrpc.getGetModelMethod()),
        new ModelFields(GetModelRequest.NAME_FIELD_NUMBER, 0), forwarder));
    handlers.put("ListModels", local(RecognizerGrpc.getListModelsMethod(), own::listModels));
    return define(RecognizerGrpc.getServiceDescriptor(), handlers);
  }

  /** {@code inference.GRPCInferenceService}. */
  public ServerServiceDefinition inference() {
    Map<String, ServerCallHandler<byte[], byte[]>> handlers = new LinkedHashMap<>();
    MethodDescriptor<byte[], byte[]> infer = unary(GRPCInferenceServiceGrpc.getModelInferMethod());
    ModelFields inferFields = new ModelFields(ModelInferRequest.MODEL_NAME_FIELD_NUMBER,
        ModelInferRequest.MODEL_VERSION_FIELD_NUMBER);
    handlers.put("ModelInfer", new UnaryHandler(infer, inferFields, forwarder));
    handlers.put("ModelStreamInfer", new StreamHandler(infer, StreamItems.MODEL_INFER, forwarder, streamWindow));
    handlers.put("ModelMetadata", new UnaryHandler(unary(GRPCInferenceServiceGrpc.getModelMetadataMethod()),
        new ModelFields(ModelMetadataRequest.NAME_FIELD_NUMBER, ModelMetadataRequest.VERSION_FIELD_NUMBER),
        forwarder));
    handlers.put("ModelReady", local(GRPCInferenceServiceGrpc.getModelReadyMethod(), own::modelReady));
    handlers.put("ServerLive", local(GRPCInferenceServiceGrpc.getServerLiveMethod(), own::serverLive));
    handlers.put("ServerReady", local(GRPCInferenceServiceGrpc.getServerReadyMethod(), own::serverReady));
    handlers.put("ServerMetadata", local(GRPCInferenceServiceGrpc.getServerMetadataMethod(), own::serverMetadata));
    return define(GRPCInferenceServiceGrpc.getServiceDescriptor(), handlers);
  }

  private static MethodDescriptor<byte[], byte[]> unary(MethodDescriptor<?, ?> method) {
    return ByteMarshaller.bytes(method, MethodType.UNARY);
  }

  /** A method the balancer answers itself. */
  private static <Q, A> ServerCallHandler<byte[], byte[]> local(MethodDescriptor<Q, A> method,
                                                                ServerCalls.UnaryMethod<Q, A> answer) {
    return new LocalHandler<>(method, answer);
  }

  /**
   * The service {@code generated} describes, every method served as raw bytes by its handler:
   * no method is left without one.
   */
  private static ServerServiceDefinition define(ServiceDescriptor generated,
                                                Map<String, ServerCallHandler<byte[], byte[]>> handlers) {
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(generated.getName())
        .setSchemaDescriptor(generated.getSchemaDescriptor());
    List<MethodDescriptor<byte[], byte[]>> methods = generated.getMethods().stream()
        .map(m -> ByteMarshaller.bytes(m, m.getType())).toList();
    methods.forEach(descriptor::addMethod);
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(descriptor.build());
    for (MethodDescriptor<byte[], byte[]> method : methods) {
      ServerCallHandler<byte[], byte[]> handler = handlers.get(method.getBareMethodName());
      if (handler == null) {
        throw new IllegalStateException("no forwarding rule for " + method.getFullMethodName());
      }
      definition.addMethod(method, handler);
    }
    return definition.build();
  }
}
