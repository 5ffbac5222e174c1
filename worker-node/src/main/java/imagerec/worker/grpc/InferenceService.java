package imagerec.worker.grpc;

import imagerec.grpc.InferMessages;
import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelMetadataRequest;
import imagerec.oip.ModelMetadataResponse;
import imagerec.oip.ModelReadyRequest;
import imagerec.oip.ModelReadyResponse;
import imagerec.oip.ModelStreamInferResponse;
import imagerec.oip.ServerLiveRequest;
import imagerec.oip.ServerLiveResponse;
import imagerec.oip.ServerMetadataRequest;
import imagerec.oip.ServerMetadataResponse;
import imagerec.oip.ServerReadyRequest;
import imagerec.oip.ServerReadyResponse;
import imagerec.worker.engine.Inference;
import imagerec.worker.engine.InvalidRequestException;
import imagerec.worker.engine.RecognitionEngine;
import imagerec.worker.metrics.WorkerMetrics;
import imagerec.worker.model.ModelRepository;
import imagerec.worker.model.ServedModel;
import imagerec.worker.model.UnknownModelException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The Open Inference Protocol ({@code inference.GRPCInferenceService}) on a worker: health and
 * metadata of the worker and its models, and inference requests of N images each, which join the
 * dynamic batcher like N {@code Recognize} calls. Tensors are read and written by
 * {@link TensorCodec}; failures become statuses in {@link StatusMapper}, as for {@code Recognize}.
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  /** The protocol extensions a worker serves. */
  static final List<String> EXTENSIONS = List.of("classification");

  /**
   * The protocol's health questions while the models load: live, not ready (everything else is
   * UNAVAILABLE then, see {@link StartingService}).
   */
  public static final Map<String, Object> WHILE_LOADING = Map.of(
      GRPCInferenceServiceGrpc.getServerLiveMethod().getFullMethodName(),
      ServerLiveResponse.newBuilder().setLive(true).build(),
      GRPCInferenceServiceGrpc.getServerReadyMethod().getFullMethodName(),
      ServerReadyResponse.newBuilder().setReady(false).build(),
      GRPCInferenceServiceGrpc.getModelReadyMethod().getFullMethodName(),
      ModelReadyResponse.newBuilder().setReady(false).build());

  private final RecognitionEngine engine;
  private final ModelRepository models;
  private final BooleanSupplier ready;
  private final String version;
  private final RecognitionObserver observer;

  /**
   * @param ready whether the worker takes requests now (its health is SERVING)
   * @param version the server version reported by {@code ServerMetadata}
   * @param metrics, tracing, accessLog what is recorded about each request
   */
  public InferenceService(RecognitionEngine engine, ModelRepository models, BooleanSupplier ready, String version,
                          String workerName, WorkerMetrics metrics, Tracing tracing, AccessLog accessLog) {
    this.engine = engine;
    this.models = models;
    this.ready = ready;
    this.version = version;
    this.observer = new RecognitionObserver(metrics, tracing, accessLog, workerName, models.defaultModel());
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> responses) {
    reply(responses, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> responses) {
    reply(responses, ServerReadyResponse.newBuilder().setReady(ready.getAsBoolean()).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> responses) {
    boolean served;
    try {
      served = find(request.getName(), request.getVersion()) != null;
    } catch (UnknownModelException e) {
      served = false;
    }
    reply(responses, ModelReadyResponse.newBuilder().setReady(served && ready.getAsBoolean()).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> responses) {
    reply(responses, ServerMetadataResponse.newBuilder().setName("imagerec").setVersion(version)
        .addAllExtensions(EXTENSIONS).build());
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> responses) {
    try {
      reply(responses, TensorCodec.metadata(find(request.getName(), request.getVersion())));
    } catch (UnknownModelException e) {
      responses.onError(StatusMapper.toException(e));
    }
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> responses) {
    RecognitionObserver.Observation observation = observer.start("ModelInfer", request.getId(), request.getModelName());
    CompletableFuture<ModelInferResponse> result = infer(request, observation);
    Context.current().addListener(context -> result.cancel(false), Runnable::run);
    result.whenComplete((response, failure) -> {
      if (failure != null) {
        StatusRuntimeException e = StatusMapper.toException(failure);
        observation.failed(e.getStatus());
        responses.onError(e);
      } else {
        reply(responses, response);
      }
    });
  }

  @Override
  public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> responses) {
    return ConcurrentStream.open(responses, RecognizerService.STREAM_WINDOW, request -> {
      RecognitionObserver.Observation observation =
          observer.start("ModelStreamInfer", request.getId(), request.getModelName());
      return ConcurrentStream.answering(infer(request, observation), (response, failure) -> {
        if (failure == null) {
          return ModelStreamInferResponse.newBuilder().setInferResponse(response).build();
        }
        StatusRuntimeException e = StatusMapper.toException(failure);
        observation.failed(e.getStatus());
        return InferMessages.streamError(request.getId(), request.getModelName(), e.getStatus());
      });
    });
  }

  /**
   * Reads, runs and answers one request; a success is recorded in {@code observation}, a failure
   * is left to the caller, as one of the project's exceptions.
   */
  private CompletableFuture<ModelInferResponse> infer(ModelInferRequest request,
                                                      RecognitionObserver.Observation observation) {
    ServedModel model;
    TensorCodec.Inputs inputs;
    TensorCodec.OutputRequest wanted;
    try {
      model = find(request.getModelName(), request.getModelVersion());
      inputs = TensorCodec.read(request, model);
      wanted = TensorCodec.outputRequest(request, model);
    } catch (UnknownModelException | InvalidRequestException e) {
      return CompletableFuture.failedFuture(e);
    }
    Deadline deadline = Context.current().getDeadline();
    long deadlineNanos = deadline == null
        ? Long.MAX_VALUE : System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
    CompletableFuture<Inference> inference = inputs.images() != null
        ? engine.inferImages(model.name(), request.getModelVersion(), inputs.images(), deadlineNanos)
        : engine.inferTensors(model.name(), request.getModelVersion(), inputs.tensors(), deadlineNanos);
    CompletableFuture<ModelInferResponse> response = inference.thenApply(r -> {
      observation.inferred(r);
      return TensorCodec.write(request, wanted, r, inputs.raw());
    });
    response.whenComplete((r, e) -> {
      if (response.isCancelled()) {
        inference.cancel(false);
      }
    });
    return response;
  }

  /** The model named (the default one for ""), of that version unless "". */
  private ServedModel find(String name, String wantedVersion) throws UnknownModelException {
    ServedModel model = models.describe(name);
    model.requireVersion(wantedVersion);
    return model;
  }

  private static <T> void reply(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }
}
