package imagerec.testing;

import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The response side of any server stream under test: keeps every message and records how the
 * stream ended. Thread-safe.
 *
 * @param <T> the stream's messages
 */
public class Collector<T> implements StreamObserver<T> {
  private final List<T> messages = new ArrayList<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile Throwable failure;

  @Override
  public synchronized void onNext(T message) {
    messages.add(message);
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

  /** Every message, in the order they came. */
  public synchronized List<T> messages() {
    return List.copyOf(messages);
  }
}
