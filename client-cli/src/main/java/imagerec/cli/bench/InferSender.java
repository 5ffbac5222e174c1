package imagerec.cli.bench;

import com.google.protobuf.ByteString;
import imagerec.grpc.InferMessages;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.v1.RecognizeRequest;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Open Inference Protocol {@code ModelInfer} call per request: the request's image and the
 * next {@code imagesPerCall - 1} images after it, as one BYTES tensor. The inference requests are
 * built once, before the load starts, so that the figures measure the servers (for an endless
 * workload, as each call is sent: its image, {@code imagesPerCall} times).
 */
public final class InferSender implements CallSender {
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
  private final Duration deadline;
  private final int imagesPerCall;
  /** Up to this many requests, their inference requests are built before the load starts. */
  private static final int PREBUILT = 100_000;
  private final List<RecognizeRequest> requests;
  private final Map<RecognizeRequest, ModelInferRequest> built = new IdentityHashMap<>();

  /**
   * @param requests the images the load generator will hand over (each becomes the first image of
   *     one inference request, for the model it names)
   */
  public InferSender(Channel channel, Duration deadline, List<RecognizeRequest> requests, int imagesPerCall) {
    this.stub = GRPCInferenceServiceGrpc.newStub(channel);
    this.deadline = deadline;
    this.imagesPerCall = imagesPerCall;
    this.requests = requests;
    if (requests.size() <= PREBUILT) {
      for (int i = 0; i < requests.size(); i++) {
        built.put(requests.get(i), build(i));
      }
    }
  }

  /** The inference request of the {@code i}-th request's image and the ones after it. */
  private ModelInferRequest build(int i) {
    List<ByteString> images = new ArrayList<>(imagesPerCall);
    for (int j = 0; j < imagesPerCall; j++) {
      images.add(requests.get((int) ((i + (long) j) % requests.size())).getImage());
    }
    return InferMessages.imageRequest(requests.get(i).getModel(), images).build();
  }

  @Override
  public int imagesPerCall() {
    return imagesPerCall;
  }

  @Override
  public void send(RecognizeRequest request, Callback callback) {
    ModelInferRequest infer = built.get(request);
    if (infer == null) { // an endless workload: the request's image alone, repeated to the size
      infer = InferMessages.imageRequest(request.getModel(), Collections.nCopies(imagesPerCall, request.getImage()))
          .build();
    }
    stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS).modelInfer(infer, new StreamObserver<>() {
      @Override
      public void onNext(ModelInferResponse response) {
      }

      @Override
      public void onError(Throwable t) {
        callback.done(CallOutcome.failed(t));
      }

      @Override
      public void onCompleted() {
        callback.done(new CallOutcome(CallOutcome.OK, "", 0, ""));
      }
    });
  }

  @Override
  public void close() {
  }
}
