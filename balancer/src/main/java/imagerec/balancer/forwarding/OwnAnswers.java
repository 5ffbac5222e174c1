package imagerec.balancer.forwarding;

import imagerec.balancer.registry.ModelCatalog;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.oip.ModelReadyRequest;
import imagerec.oip.ModelReadyResponse;
import imagerec.oip.ServerLiveRequest;
import imagerec.oip.ServerLiveResponse;
import imagerec.oip.ServerMetadataRequest;
import imagerec.oip.ServerMetadataResponse;
import imagerec.oip.ServerReadyRequest;
import imagerec.oip.ServerReadyResponse;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ModelInfo;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The calls the balancer answers itself, from what it knows of its workers, instead of forwarding:
 * {@code ListModels} (every model the workers in rotation serve), and the Open Inference
 * Protocol's server liveness, readiness and metadata and model readiness. Thread-safe.
 */
final class OwnAnswers {
  private final WorkerRegistry registry;
  private final String version;
  private final List<String> extensions;

  /**
   * @param version the server version {@code ServerMetadata} reports
   * @param extensions the protocol extensions served
   */
  OwnAnswers(WorkerRegistry registry, String version, List<String> extensions) {
    this.registry = registry;
    this.version = version;
    this.extensions = List.copyOf(extensions);
  }

  /**
   * Every model a worker in rotation serves, once (the newest version where workers differ, as
   * compared by {@link ModelVersions}), and the default model most of them have.
   */
  ListModelsResponse listModels() {
    List<WorkerEndpoint> healthy = registry.snapshot().healthy();
    Map<String, ModelInfo> models = new TreeMap<>();
    for (WorkerEndpoint e : healthy) {
      ModelCatalog c = e.catalog();
      if (c != null) {
        for (ModelInfo m : c.models().values()) {
          models.merge(m.getName(), m, (a, b) -> ModelVersions.compare(a.getVersion(), b.getVersion()) >= 0 ? a : b);
        }
      }
    }
    return ListModelsResponse.newBuilder().setDefaultModel(Forwarder.defaultModel(healthy))
        .addAllModels(models.values()).build();
  }

  void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
    reply(responses, listModels());
  }

  void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> responses) {
    reply(responses, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  /** Ready while a worker is in rotation. */
  void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> responses) {
    reply(responses, ServerReadyResponse.newBuilder().setReady(!registry.snapshot().healthy().isEmpty()).build());
  }

  void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> responses) {
    reply(responses, ServerMetadataResponse.newBuilder().setName("imagerec").setVersion(version)
        .addAllExtensions(extensions).build());
  }

  /** Ready while a worker in rotation serves the model (of that version, when one is named). */
  void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> responses) {
    boolean ready = false;
    for (WorkerEndpoint e : registry.snapshot().healthy()) {
      ModelCatalog c = e.catalog();
      ready |= c != null && c.serves(request.getName(), request.getVersion());
    }
    reply(responses, ModelReadyResponse.newBuilder().setReady(ready).build());
  }

  private static <T> void reply(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }
}
