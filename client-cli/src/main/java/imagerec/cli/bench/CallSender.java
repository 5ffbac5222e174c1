package imagerec.cli.bench;

import imagerec.v1.RecognizeRequest;

/** Sends one recognition and reports its outcome; implementations are thread-safe. */
public interface CallSender extends AutoCloseable {

  /** Receives the outcome of one call, on a gRPC thread. */
  interface Callback {
    /**
     * @param code "OK", or the gRPC code name of the failure (call status or item error)
     * @param batchSize the size of the inference batch the image was part of (0 if unknown or failed)
     */
    void done(String code, int batchSize);
  }

  void send(RecognizeRequest request, Callback callback);

  /** Waits (up to the given time) for calls still in flight, then releases resources. */
  @Override
  void close() throws InterruptedException;
}
