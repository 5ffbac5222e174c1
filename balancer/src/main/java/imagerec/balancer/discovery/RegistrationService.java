package imagerec.balancer.discovery;

import imagerec.balancer.registry.ModelCatalog;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.grpc.HostPort;
import imagerec.v1.RegisterRequest;
import imagerec.v1.RegisterResponse;
import imagerec.v1.WorkerRegistrationGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code imagerec.v1.WorkerRegistration} on the balancer: a worker that registers is added with
 * source "registered" and removed when its stream ends; its load reports are recorded.
 */
public final class RegistrationService extends WorkerRegistrationGrpc.WorkerRegistrationImplBase {
  static final String SOURCE = "registered";
  private static final Logger log = LoggerFactory.getLogger(RegistrationService.class);

  private final Membership membership;
  private final WorkerRegistry registry;
  private final Consumer<WorkerEndpoint> modelsChanged;

  /**
   * @param modelsChanged told when a worker registers models its known catalog does not list
   *     (its repository changed), so that the catalog is asked for again
   */
  public RegistrationService(Membership membership, WorkerRegistry registry, Consumer<WorkerEndpoint> modelsChanged) {
    this.membership = membership;
    this.registry = registry;
    this.modelsChanged = modelsChanged;
  }

  @Override
  public StreamObserver<RegisterRequest> register(StreamObserver<RegisterResponse> responses) {
    return new StreamObserver<>() {
      private String address;

      @Override
      public void onNext(RegisterRequest request) {
        if (address == null) {
          try {
            HostPort.parse(request.getAddress());
          } catch (IllegalArgumentException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("the first message must carry the worker's "
                + "address as host:port: " + e.getMessage()).asRuntimeException());
            return;
          }
          address = request.getAddress();
          membership.add(address, SOURCE);
          log.info("worker {} registered (models {})", address, request.getModelsList());
          responses.onNext(RegisterResponse.newBuilder().setMessage("registered as " + address).build());
        }
        registry.find(address).ifPresent(e -> record(e, request));
      }

      @Override
      public void onError(Throwable t) {
        leave();
      }

      @Override
      public void onCompleted() {
        leave();
        responses.onCompleted();
      }

      private void leave() {
        if (address != null) {
          log.info("worker {} ended its registration", address);
          membership.remove(address, SOURCE);
          address = null;
        }
      }
    };
  }

  private void record(WorkerEndpoint endpoint, RegisterRequest request) {
    if (!request.getModelsList().isEmpty()) {
      endpoint.setModels(request.getModelsList());
      ModelCatalog catalog = endpoint.catalog();
      if (catalog != null && !catalog.names().equals(request.getModelsList().stream().sorted().toList())) {
        modelsChanged.accept(endpoint);
      }
    }
    if (request.hasLoad()) {
      endpoint.reportLoad(request.getLoad().getInFlight(), request.getLoad().getQueueDepth(),
          request.getLoad().getCapacity(), System.nanoTime());
    }
  }
}
