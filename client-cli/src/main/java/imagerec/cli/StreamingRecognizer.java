package imagerec.cli;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Sends many images over one {@code RecognizeStream}, keeping at most {@code window} of them in
 * flight, and hands each result to a callback as it arrives (in completion order). Request ids are
 * the input indexes, so results are matched without relying on order.
 */
record StreamingRecognizer(Channel channel, int window) implements BulkRecognizer {
  /** {@inheritDoc} The deadline applies to the whole stream; null means none. */
  @Override
  public Status run(int count, IntFunction<RecognizeRequest> requests, Duration deadline, Results results)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    Status[] outcome = {Status.OK};
    RecognizerGrpc.RecognizerStub stub = RecognizerGrpc.newStub(channel);
    if (deadline != null) {
      stub = stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
    boolean[] answered = new boolean[count]; // got a result, or skipped (no request built)
    stub.recognizeStream(new ClientResponseObserver<RecognizeRequest, RecognizeResponse>() {
      private ClientCallStreamObserver<RecognizeRequest> requestStream;
      private int next;
      private int outstanding;
      private boolean halfClosed;

      @Override
      public void beforeStart(ClientCallStreamObserver<RecognizeRequest> stream) {
        requestStream = stream;
        stream.setOnReadyHandler(this::sendMore);
      }

      private synchronized void sendMore() {
        while (next < count && outstanding < window && requestStream.isReady()) {
          int index = next++;
          RecognizeRequest request = requests.apply(index);
          if (request == null) {
            answered[index] = true;
          } else {
            outstanding++;
            requestStream.onNext(request.toBuilder().setRequestId(Integer.toString(index)).build());
          }
        }
        if (next == count && !halfClosed) {
          halfClosed = true;
          requestStream.onCompleted();
        }
      }

      @Override
      public void onNext(RecognizeResponse response) {
        int index;
        try {
          index = Integer.parseInt(response.getRequestId());
        } catch (NumberFormatException e) {
          return; // not ours
        }
        synchronized (this) {
          if (index < 0 || index >= count || answered[index]) {
            return;
          }
          answered[index] = true;
          outstanding--;
        }
        results.onResult(index, response);
        sendMore();
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        outcome[0] = status;
        synchronized (this) {
          for (int i = 0; i < count; i++) {
            if (!answered[i]) {
              results.onLost(i, status);
            }
          }
        }
        done.countDown();
      }

      @Override
      public void onCompleted() {
        synchronized (this) {
          for (int i = 0; i < count; i++) {
            if (!answered[i] && i < next) {
              results.onLost(i, Status.DATA_LOSS.withDescription("the server closed the stream without a result"));
            }
          }
        }
        done.countDown();
      }
    });
    done.await();
    return outcome[0];
  }
}
