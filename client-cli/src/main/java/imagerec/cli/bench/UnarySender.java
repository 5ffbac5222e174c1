package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** One unary {@code Recognize} call per image. */
public final class UnarySender implements CallSender {
  private final RecognizerGrpc.RecognizerStub stub;
  private final Duration deadline;

  public UnarySender(Channel channel, Duration deadline) {
    this(RecognizerGrpc.newStub(channel), deadline);
  }

  /** Calls through {@code stub} as it is configured (wait for ready, say), each with {@code deadline}. */
  public UnarySender(RecognizerGrpc.RecognizerStub stub, Duration deadline) {
    this.stub = stub;
    this.deadline = deadline;
  }

  @Override
  public void send(RecognizeRequest request, Callback callback) {
    stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS).recognize(request, new StreamObserver<>() {
      private CallOutcome answer;

      @Override
      public void onNext(RecognizeResponse response) {
        answer = CallOutcome.of(response);
      }

      @Override
      public void onError(Throwable t) {
        callback.done(CallOutcome.failed(t));
      }

      @Override
      public void onCompleted() {
        callback.done(answer != null ? answer : new CallOutcome("INTERNAL", "", 0, "completed without a response"));
      }
    });
  }

  @Override
  public void close() {
  }
}
