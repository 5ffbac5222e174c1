package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;

/** Sends one recognition and reports its outcome; implementations are thread-safe. */
public interface CallSender extends AutoCloseable {

  /** Receives the outcome of one call, on a gRPC thread. */
  interface Callback {
    void done(CallOutcome outcome);
  }

  void send(RecognizeRequest request, Callback callback);

  /** Images one call carries (one, but for the inference protocol's batched requests). */
  default int imagesPerCall() {
    return 1;
  }

  /** Waits (up to the given time) for calls still in flight, then releases resources. */
  @Override
  void close() throws InterruptedException;
}
