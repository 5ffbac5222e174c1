package imagerec.cli;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Sends each input as its own {@code Recognize} call, at most {@code concurrency} at once. */
record ConcurrentUnaryRecognizer(Channel channel, int concurrency) implements BulkRecognizer {
  private static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  /**
   * {@inheritDoc} The deadline applies to each call; null means 30 s. When every call failed with
   * UNAVAILABLE (the target cannot be reached), that status is returned, as a stream would.
   */
  @Override
  public Status run(int count, IntFunction<RecognizeRequest> requests, Duration deadline, Results results)
      throws InterruptedException {
    Duration perCall = deadline == null ? DEFAULT_DEADLINE : deadline;
    Semaphore slots = new Semaphore(concurrency);
    CountDownLatch done = new CountDownLatch(count);
    RecognizerGrpc.RecognizerStub stub = RecognizerGrpc.newStub(channel);
    Object lock = new Object();
    int[] sent = {0};
    int[] unavailable = {0};
    Status[] lastUnavailable = {null};
    for (int i = 0; i < count; i++) {
      RecognizeRequest request = requests.apply(i);
      if (request == null) {
        done.countDown();
        continue;
      }
      slots.acquire();
      sent[0]++;
      int index = i;
      stub.withDeadlineAfter(perCall.toMillis(), TimeUnit.MILLISECONDS)
          .recognize(request.toBuilder().setRequestId(Integer.toString(i)).build(), new StreamObserver<>() {
            @Override
            public void onNext(RecognizeResponse response) {
              synchronized (lock) {
                results.onResult(index, response);
              }
            }

            @Override
            public void onError(Throwable t) {
              Status status = Status.fromThrowable(t);
              synchronized (lock) {
                if (status.getCode() == Status.Code.UNAVAILABLE) {
                  unavailable[0]++;
                  lastUnavailable[0] = status;
                }
                results.onLost(index, status);
              }
              slots.release();
              done.countDown();
            }

            @Override
            public void onCompleted() {
              slots.release();
              done.countDown();
            }
          });
    }
    done.await();
    synchronized (lock) {
      return sent[0] > 0 && unavailable[0] == sent[0] ? lastUnavailable[0] : Status.OK;
    }
  }
}
