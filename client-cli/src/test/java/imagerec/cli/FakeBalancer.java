package imagerec.cli;

import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.Classification;
import imagerec.v1.DrainWorkerRequest;
import imagerec.v1.GetModelRequest;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.ListWorkersResponse;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.WorkerStatus;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real gRPC server on a loopback port that plays the balancer for CLI tests. Images are fake:
 * the bytes {@code "IMG:<label>"} are recognized as that label; anything else is INVALID_ARGUMENT.
 */
final class FakeBalancer implements AutoCloseable {
  static final List<String> LABELS = List.of("cat", "dog", "T-shirt/top");

  final HealthStatusManager health = new HealthStatusManager();
  final Map<String, WorkerStatus.State> workers = new ConcurrentHashMap<>(Map.of(
      "10.0.0.1:50061", WorkerStatus.State.SERVING, "10.0.0.2:50061", WorkerStatus.State.SERVING));
  final AtomicReference<String> lastAuthorization = new AtomicReference<>();
  private final Server server;

  FakeBalancer() throws IOException {
    health.setStatus("imagerec.v1.Recognizer", ServingStatus.SERVING);
    ServerInterceptor captureAuth = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                   ServerCallHandler<ReqT, RespT> next) {
        lastAuthorization.set(headers.get(imagerec.grpc.WireHeaders.AUTHORIZATION));
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(new Recognizer(), captureAuth))
        .addService(new Admin())
        .addService(health.getHealthService())
        .build().start();
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  static byte[] image(String label) {
    return ("IMG:" + label).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private static RecognizeResponse answer(RecognizeRequest request) {
    String content = request.getImage().toString(StandardCharsets.UTF_8);
    if (!content.startsWith("IMG:")) {
      return null;
    }
    String label = content.substring(4);
    int index = Math.max(0, LABELS.indexOf(label));
    return RecognizeResponse.newBuilder().setRequestId(request.getRequestId()).setModel("fake").setWorker("fake-worker")
        .addClassifications(Classification.newBuilder().setLabel(label).setScore(0.9f).setIndex(index))
        .addClassifications(Classification.newBuilder().setLabel("other").setScore(0.1f).setIndex(9))
        .build();
  }

  private final class Recognizer extends RecognizerGrpc.RecognizerImplBase {
    @Override
    public void recognize(RecognizeRequest request, StreamObserver<RecognizeResponse> responses) {
      RecognizeResponse r = answer(request);
      if (r == null) {
        responses.onError(Status.INVALID_ARGUMENT.withDescription("not a supported image").asRuntimeException());
        return;
      }
      responses.onNext(r);
      responses.onCompleted();
    }

    @Override
    public StreamObserver<RecognizeRequest> recognizeStream(StreamObserver<RecognizeResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(RecognizeRequest request) {
          RecognizeResponse r = answer(request);
          responses.onNext(r != null ? r : RecognizeResponse.newBuilder().setRequestId(request.getRequestId())
              .setError(com.google.rpc.Status.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value())
                  .setMessage("not a supported image")).build());
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
      responses.onNext(ListModelsResponse.newBuilder().setDefaultModel("fake").addModels(model()).build());
      responses.onCompleted();
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> responses) {
      if (!request.getName().isEmpty() && !request.getName().equals("fake")) {
        responses.onError(Status.NOT_FOUND.withDescription("unknown model").asRuntimeException());
        return;
      }
      responses.onNext(model());
      responses.onCompleted();
    }

    private ModelInfo model() {
      return ModelInfo.newBuilder().setName("fake").setVersion("7").addAllLabels(LABELS).setDefaultTopK(2).build();
    }
  }

  private final class Admin extends BalancerAdminGrpc.BalancerAdminImplBase {
    @Override
    public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> responses) {
      ListWorkersResponse.Builder b = ListWorkersResponse.newBuilder();
      workers.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> b.addWorkers(
          WorkerStatus.newBuilder().setAddress(e.getKey()).setSource("static").setState(e.getValue()).setCompleted(5)));
      responses.onNext(b.build());
      responses.onCompleted();
    }

    @Override
    public void drainWorker(DrainWorkerRequest request, StreamObserver<WorkerStatus> responses) {
      setState(request.getAddress(), WorkerStatus.State.DRAINING, responses);
    }

    @Override
    public void undrainWorker(DrainWorkerRequest request, StreamObserver<WorkerStatus> responses) {
      setState(request.getAddress(), WorkerStatus.State.SERVING, responses);
    }

    private void setState(String address, WorkerStatus.State state, StreamObserver<WorkerStatus> responses) {
      if (!workers.containsKey(address)) {
        responses.onError(Status.NOT_FOUND.withDescription("no worker at " + address).asRuntimeException());
        return;
      }
      workers.put(address, state);
      responses.onNext(WorkerStatus.newBuilder().setAddress(address).setState(state).build());
      responses.onCompleted();
    }
  }
}
