package imagerec.cli;

import com.google.protobuf.ByteString;
import imagerec.grpc.InferMessages;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.InferParameter;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.v1.Classification;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Sends the inputs {@code imagesPerCall} at a time as Open Inference Protocol {@code ModelInfer}
 * requests (one BYTES tensor each, the classification extension asking for the best label), and
 * hands each image's answer on as a {@link RecognizeResponse}, so that {@code imagerec eval} can
 * measure accuracy through the protocol exactly as through {@code Recognize}.
 */
record InferenceRecognizer(Channel channel, int concurrency, int imagesPerCall) implements BulkRecognizer {
  private static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  @Override
  public Status run(int count, IntFunction<RecognizeRequest> requests, Duration deadline, Results results)
      throws InterruptedException {
    Duration perCall = deadline == null ? DEFAULT_DEADLINE : deadline;
    Semaphore slots = new Semaphore(Math.max(1, concurrency / imagesPerCall));
    CountDownLatch done = new CountDownLatch(count);
    GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub = GRPCInferenceServiceGrpc.newStub(channel);
    Object lock = new Object();
    List<Integer> indexes = new ArrayList<>();
    List<ByteString> images = new ArrayList<>();
    String model = "";
    for (int i = 0; i < count; i++) {
      RecognizeRequest request = requests.apply(i);
      if (request == null) {
        done.countDown();
      } else {
        indexes.add(i);
        images.add(request.getImage());
        model = request.getModel();
      }
      if (indexes.size() == imagesPerCall || i == count - 1 && !indexes.isEmpty()) {
        slots.acquire();
        send(stub, perCall, InferMessages.imageRequest(model, images).setId("eval-" + indexes.get(0)),
            List.copyOf(indexes), lock, results, slots::release, done);
        indexes.clear();
        images.clear();
      }
    }
    done.await();
    return Status.OK;
  }

  private static void send(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub, Duration deadline,
                           ModelInferRequest.Builder images, List<Integer> indexes, Object lock, Results results,
                           Runnable release, CountDownLatch done) {
    ModelInferRequest request = images
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("scores")
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(1).build()))
        .build();
    stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).modelInfer(request, new StreamObserver<>() {
      @Override
      public void onNext(ModelInferResponse response) {
        synchronized (lock) {
          List<ByteString> best = response.getOutputs(0).getContents().getBytesContentsList();
          for (int k = 0; k < indexes.size(); k++) {
            results.onResult(indexes.get(k), answer(response, best.get(k).toStringUtf8()));
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        synchronized (lock) {
          indexes.forEach(i -> results.onLost(i, status));
        }
        finish();
      }

      @Override
      public void onCompleted() {
        finish();
      }

      private void finish() {
        release.run();
        indexes.forEach(i -> done.countDown());
      }
    });
  }

  /** One image's best label, {@code "score:index:label"} as the classification extension writes it. */
  private static RecognizeResponse answer(ModelInferResponse response, String best) {
    String[] parts = best.split(":", 3);
    return RecognizeResponse.newBuilder().setModel(response.getModelName()).setModelVersion(response.getModelVersion())
        .addClassifications(Classification.newBuilder().setScore(Float.parseFloat(parts[0]))
            .setIndex(Integer.parseInt(parts[1])).setLabel(parts.length > 2 ? parts[2] : ""))
        .build();
  }
}
