package imagerec.testing;

import imagerec.v1.Classification;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process stand-in for a worker: answers with its own name as the label, or fails as the
 * request's {@code model} field asks ("fail:CODE"), or holds the call until released ("hold").
 */
public final class FakeWorker implements AutoCloseable {
  public final String name;
  public final HealthStatusManager health = new HealthStatusManager();
  public final AtomicInteger calls = new AtomicInteger();
  public final AtomicInteger cancelled = new AtomicInteger();
  public final CountDownLatch release = new CountDownLatch(1);
  public volatile Status failWith;
  public volatile io.grpc.Metadata lastHeaders;
  /** The model the last Recognize call named. */
  public volatile String lastModel;
  /**
   * What ListModels answers; null (the default) answers UNIMPLEMENTED, so that a balancer does
   * not know the worker's models and routes any model to it (the tests use the model field as a
   * command: "hold" answers once {@link #release} is counted down, "fail:CODE" fails, "hold-fail:CODE"
   * fails once released). An answer names the model and the version the catalog gives it.
   */
  public volatile ListModelsResponse catalog;
  private Server server;

  public FakeWorker(String name) throws IOException {
    this.name = name;
    start();
  }

  /** {@code n} fake workers named {@code prefix-w0}, {@code prefix-w1}, ..., all SERVING. */
  public static List<FakeWorker> startMany(String prefix, int n) throws IOException {
    List<FakeWorker> workers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      workers.add(new FakeWorker(prefix + "-w" + i));
    }
    return workers;
  }

  public void start() throws IOException {
    server = InProcessServerBuilder.forName(name)
        .addService(io.grpc.ServerInterceptors.intercept(new Service(), new io.grpc.ServerInterceptor() {
          @Override
          public <ReqT, RespT> io.grpc.ServerCall.Listener<ReqT> interceptCall(io.grpc.ServerCall<ReqT, RespT> call,
              io.grpc.Metadata headers, io.grpc.ServerCallHandler<ReqT, RespT> next) {
            lastHeaders = headers;
            return next.startCall(call, headers);
          }
        }))
        .addService(health.getHealthService())
        .build().start();
    setServing(true);
  }

  public void setServing(boolean serving) {
    health.setStatus(RecognizerGrpc.SERVICE_NAME, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  public void kill() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    release.countDown();
    kill();
  }

  private final class Service extends RecognizerGrpc.RecognizerImplBase {
    @Override
    public void recognize(RecognizeRequest request, StreamObserver<RecognizeResponse> responses) {
      calls.incrementAndGet();
      lastModel = request.getModel();
      Status fail = failWith;
      if (fail != null) {
        io.grpc.Metadata trailers = new io.grpc.Metadata();
        if (fail.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
          trailers.put(imagerec.grpc.WireHeaders.RETRY_AFTER_MS, "2000");
        }
        responses.onError(fail.asRuntimeException(trailers));
        return;
      }
      if (request.getModel().equals("hold") || request.getModel().startsWith("hold-fail:")) {
        io.grpc.Context.current().addListener(c -> cancelled.incrementAndGet(), Runnable::run);
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (request.getModel().startsWith("fail:") || request.getModel().startsWith("hold-fail:")) {
        String code = request.getModel().substring(request.getModel().indexOf(':') + 1);
        responses.onError(Status.fromCode(Status.Code.valueOf(code)).withDescription("asked to fail")
            .asRuntimeException());
        return;
      }
      ListModelsResponse models = catalog;
      String version = models == null ? "" : models.getModelsList().stream()
          .filter(m -> m.getName().equals(request.getModel())).map(m -> m.getVersion()).findFirst().orElse("");
      responses.onNext(RecognizeResponse.newBuilder().setRequestId(request.getRequestId()).setWorker(name)
          .setModel(request.getModel()).setModelVersion(version)
          .addClassifications(Classification.newBuilder().setLabel(name).setScore(1)).build());
      responses.onCompleted();
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
      ListModelsResponse models = catalog;
      if (models == null) {
        responses.onError(Status.UNIMPLEMENTED.withDescription("this fake lists no models").asRuntimeException());
        return;
      }
      responses.onNext(models);
      responses.onCompleted();
    }
  }
}
