package imagerec.balancer.forwarding;

import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.OutlierDetector;
import imagerec.balancer.routing.Picker;
import imagerec.grpc.ByteMarshaller;
import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import imagerec.v1.RecognizerGrpc;
import io.grpc.CallCredentials;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.util.List;

/**
 * The balancer's {@code imagerec.v1.Recognizer}: every unary method is forwarded byte for byte to
 * a worker; {@code RecognizeStream} is split into per-item unary {@code Recognize} calls (see
 * {@link StreamHandler}). The service keeps the generated schema descriptor, so server reflection
 * describes it exactly as a worker's.
 */
public final class ForwardingService {
  private ForwardingService() {}

  /**
   * @param maxAttempts attempts per call (1 = no retry), each on a different worker
   * @param retryBudgetRatio retries allowed per call on average (0.2 = at most 20% extra load)
   * @param admission the balancer's limits on calls and bytes held; past them, RESOURCE_EXHAUSTED
   * @param streamWindow items of one client stream at the workers at once
   * @param observer, tracing, accessLog what is recorded about each forwarded call
   * @param workerCredentials sent with every call to a worker (its token), or null
   */
  public static ServerServiceDefinition create(WorkerRegistry registry, Picker picker, OutlierDetector outliers,
                                               int maxAttempts, double retryBudgetRatio, Admission admission,
                                               int streamWindow, ForwardingObserver observer, Tracing tracing,
                                               AccessLog accessLog, CallCredentials workerCredentials) {
    Forwarder forwarder = new Forwarder(registry, picker, maxAttempts, new RetryBudget(retryBudgetRatio, 10, 100),
        outliers, admission, observer, tracing, accessLog, workerCredentials);
    ServiceDescriptor generated = RecognizerGrpc.getServiceDescriptor();
    List<MethodDescriptor<byte[], byte[]>> methods = generated.getMethods().stream()
        .map(m -> ByteMarshaller.bytes(m, m.getType())).toList();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(generated.getName())
        .setSchemaDescriptor(generated.getSchemaDescriptor());
    methods.forEach(descriptor::addMethod);
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(descriptor.build());
    MethodDescriptor<byte[], byte[]> recognize =
        ByteMarshaller.bytes(RecognizerGrpc.getRecognizeMethod(), MethodType.UNARY);
    for (MethodDescriptor<byte[], byte[]> method : methods) {
      if (method.getType() == MethodType.UNARY) {
        definition.addMethod(method, new UnaryHandler(method, forwarder));
      } else if (method.getFullMethodName().equals(RecognizerGrpc.getRecognizeStreamMethod().getFullMethodName())) {
        definition.addMethod(method, new StreamHandler(recognize, forwarder, streamWindow));
      } else {
        throw new IllegalStateException("no forwarding rule for " + method.getFullMethodName());
      }
    }
    return definition.build();
  }
}
