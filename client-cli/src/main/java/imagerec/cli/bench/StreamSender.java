package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every image as one item of a single long-lived {@code RecognizeStream}; results are matched to
 * callbacks by request id. If the stream fails, every pending item fails with its status.
 */
public final class StreamSender implements CallSender {
  private final Map<String, Callback> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final CountDownLatch finished = new CountDownLatch(1);
  private final StreamObserver<RecognizeRequest> requests;
  private volatile Status failure;

  public StreamSender(Channel channel) {
    requests = RecognizerGrpc.newStub(channel).recognizeStream(new StreamObserver<>() {
      @Override
      public void onNext(RecognizeResponse response) {
        Callback callback = pending.remove(response.getRequestId());
        if (callback != null) {
          callback.done(CallOutcome.of(response));
        }
      }

      @Override
      public void onError(Throwable t) {
        failure = Status.fromThrowable(t);
        failPending(CallOutcome.failed(t));
        finished.countDown();
      }

      @Override
      public void onCompleted() {
        failPending(new CallOutcome("DATA_LOSS", "", 0, "the stream ended before this item's answer"));
        finished.countDown();
      }
    });
  }

  private void failPending(CallOutcome outcome) {
    for (String id : pending.keySet()) {
      Callback callback = pending.remove(id);
      if (callback != null) {
        callback.done(outcome);
      }
    }
  }

  @Override
  public void send(RecognizeRequest request, Callback callback) {
    if (failure != null) {
      callback.done(CallOutcome.failed(failure));
      return;
    }
    String id = Long.toString(ids.incrementAndGet());
    pending.put(id, callback);
    synchronized (requests) {
      requests.onNext(request.toBuilder().setRequestId(id).build());
    }
  }

  @Override
  public void close() throws InterruptedException {
    synchronized (requests) {
      requests.onCompleted();
    }
    finished.await(60, TimeUnit.SECONDS);
  }
}
