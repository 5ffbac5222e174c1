package imagerec.testing;

import imagerec.v1.RecognizeResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The response side of a {@code RecognizeStream} under test: keeps every response, counts request
 * ids answered twice, and records how the stream ended. Thread-safe.
 */
public final class StreamCollector implements StreamObserver<RecognizeResponse> {
  private final List<RecognizeResponse> responses = new ArrayList<>();
  private final Map<String, RecognizeResponse> byId = new LinkedHashMap<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private int duplicates;
  private volatile Throwable failure;

  @Override
  public synchronized void onNext(RecognizeResponse response) {
    responses.add(response);
    if (byId.put(response.getRequestId(), response) != null) {
      duplicates++;
    }
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
    ended.countDown();
  }

  @Override
  public void onCompleted() {
    ended.countDown();
  }

  /** Waits for the stream to end, at most {@code timeout}; false if it did not. */
  public boolean await(Duration timeout) throws InterruptedException {
    return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** The error that ended the stream, null if it completed (or has not ended). */
  public Throwable failure() {
    return failure;
  }

  /** Every response, in the order they came. */
  public synchronized List<RecognizeResponse> responses() {
    return List.copyOf(responses);
  }

  /** The last response for each request id. */
  public synchronized Map<String, RecognizeResponse> byRequestId() {
    return new LinkedHashMap<>(byId);
  }

  /** Distinct request ids answered so far. */
  public synchronized int answered() {
    return byId.size();
  }

  /** Responses that repeated a request id already answered. */
  public synchronized int duplicates() {
    return duplicates;
  }
}
