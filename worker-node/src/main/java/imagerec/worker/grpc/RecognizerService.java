package imagerec.worker.grpc;

import com.google.rpc.Status;
import imagerec.grpc.RecognizeMessages;
import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import imagerec.v1.Classification;
import imagerec.v1.GetModelRequest;
import imagerec.v1.InputShape;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.Timings;
import imagerec.worker.engine.Recognition;
import imagerec.worker.engine.RecognitionEngine;
import imagerec.worker.metrics.WorkerMetrics;
import imagerec.worker.model.ModelConfig;
import imagerec.worker.model.ModelRepository;
import imagerec.worker.model.ServedModel;
import imagerec.worker.model.UnknownModelException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code imagerec.v1.Recognizer} on a worker: a thin layer that hands requests to the
 * {@link RecognitionEngine} and maps results and failures to messages and statuses.
 */
public final class RecognizerService extends RecognizerGrpc.RecognizerImplBase {
  /** Stream items a worker works on at once per stream; more wait in gRPC's flow control. */
  static final int STREAM_WINDOW = 64;

  private final RecognitionEngine engine;
  private final ModelRepository models;
  private final String workerName;
  private final RecognitionObserver observer;

  /** A service recording metrics into a registry of its own, without tracing or access log (for tests). */
  public RecognizerService(RecognitionEngine engine, ModelRepository models, String workerName) {
    this(engine, models, workerName,
        new WorkerMetrics(new SimpleMeterRegistry(), () -> 0), Tracing.disabled(), AccessLog.OFF);
  }

  /**
   * @param metrics, tracing, accessLog what is recorded about each image
   */
  public RecognizerService(RecognitionEngine engine, ModelRepository models, String workerName,
                           WorkerMetrics metrics,
                           Tracing tracing, AccessLog accessLog) {
    this.engine = engine;
    this.models = models;
    this.workerName = workerName;
    this.observer = new RecognitionObserver(metrics, tracing, accessLog, workerName, models.defaultModel());
  }

  @Override
  public void recognize(RecognizeRequest request, StreamObserver<RecognizeResponse> responses) {
    RecognitionObserver.Observation observation =
        observer.start("Recognize", request.getRequestId(), request.getModel());
    CompletableFuture<Recognition> result = submit(request);
    Context.current().addListener(context -> result.cancel(false), Runnable::run);
    result.whenComplete((recognition, failure) -> {
      if (failure != null) {
        StatusRuntimeException e = StatusMapper.toException(failure);
        observation.failed(e.getStatus());
        responses.onError(e);
      } else {
        observation.succeeded(recognition);
        responses.onNext(toResponse(request.getRequestId(), recognition));
        responses.onCompleted();
      }
    });
  }

  @Override
  public StreamObserver<RecognizeRequest> recognizeStream(StreamObserver<RecognizeResponse> responses) {
    return ConcurrentStream.open(responses, STREAM_WINDOW, request -> {
      RecognitionObserver.Observation observation =
          observer.start("RecognizeStream", request.getRequestId(), request.getModel());
      return ConcurrentStream.answering(submit(request), (recognition, failure) -> {
        if (failure == null) {
          observation.succeeded(recognition);
          return toResponse(request.getRequestId(), recognition);
        }
        StatusRuntimeException e = StatusMapper.toException(failure);
        observation.failed(e.getStatus());
        return errorResponse(request.getRequestId(), e);
      });
    });
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
    ListModelsResponse.Builder response = ListModelsResponse.newBuilder()
        .setDefaultModel(models.defaultModel());
    models.all().forEach(m -> response.addModels(toModelInfo(m)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ModelInfo> responses) {
    try {
      responses.onNext(toModelInfo(models.describe(request.getName())));
      responses.onCompleted();
    } catch (UnknownModelException e) {
      responses.onError(StatusMapper.toException(e));
    }
  }

  private CompletableFuture<Recognition> submit(RecognizeRequest request) {
    Deadline deadline = Context.current().getDeadline();
    long deadlineNanos = deadline == null
        ? Long.MAX_VALUE : System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
    return engine.recognize(request.getImage().toByteArray(), request.getModel(), request.getTopK(),
        deadlineNanos);
  }

  private RecognizeResponse toResponse(String requestId, Recognition r) {
    RecognizeResponse.Builder b = RecognizeResponse.newBuilder()
        .setRequestId(requestId)
        .setModel(r.model())
        .setModelVersion(r.modelVersion())
        .setWorker(workerName)
        .setTimings(Timings.newBuilder()
            .setDecodeMicros(r.decodeNanos() / 1000)
            .setQueueMicros(r.queueNanos() / 1000)
            .setInferenceMicros(r.inferenceNanos() / 1000)
            .setBatchSize(r.batchSize())
            .setTotalMicros(r.totalNanos() / 1000));
    for (Recognition.Label label : r.top()) {
      b.addClassifications(Classification.newBuilder()
          .setLabel(label.label()).setScore(label.score()).setIndex(label.index()));
    }
    for (float v : r.embedding()) {
      b.addEmbedding(v);
    }
    return b.build();
  }

  private RecognizeResponse errorResponse(String requestId, StatusRuntimeException e) {
    return RecognizeMessages.error(requestId, e.getStatus()).toBuilder().setWorker(workerName).build();
  }

  private static ModelInfo toModelInfo(ServedModel model) {
    ModelConfig c = model.config();
    return ModelInfo.newBuilder()
        .setName(c.name())
        .setVersion(c.version())
        .setDescription(c.description())
        .addAllLabels(model.labels())
        .setInput(InputShape.newBuilder()
            .setWidth(c.input().width()).setHeight(c.input().height()).setChannels(c.input().channels()))
        .setDefaultTopK(model.kind() == ModelConfig.Kind.EMBEDDING ? 0 : model.defaultTopK())
        .setKind(model.kind().name().toLowerCase(java.util.Locale.ROOT))
        .setEmbeddingSize(model.kind() == ModelConfig.Kind.EMBEDDING ? model.outputSize() : 0)
        .setUncacheable(!c.cacheableOrDefault())
        .build();
  }
}
