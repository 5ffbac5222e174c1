package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** One unary {@code Recognize} call per image. */
public final class UnarySender implements CallSender {
  private final RecognizerGrpc.RecognizerStub stub;
  private final Duration deadline;

  public UnarySender(Channel channel, Duration deadline) {
    this.stub = RecognizerGrpc.newStub(channel);
    this.deadline = deadline;
  }

  @Override
  public void send(RecognizeRequest request, Callback callback) {
    stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS).recognize(request, new StreamObserver<>() {
      private int batchSize;

      @Override
      public void onNext(RecognizeResponse response) {
        batchSize = response.getTimings().getBatchSize();
      }

      @Override
      public void onError(Throwable t) {
        callback.done(Status.fromThrowable(t).getCode().name(), 0);
      }

      @Override
      public void onCompleted() {
        callback.done("OK", batchSize);
      }
    });
  }

  @Override
  public void close() {
  }
}
