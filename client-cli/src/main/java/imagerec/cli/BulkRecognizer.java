package imagerec.cli;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.Status;
import java.time.Duration;
import java.util.function.IntFunction;

/**
 * Recognizes many inputs with a bounded number in flight, handing each result to a callback as it
 * arrives. {@link StreamingRecognizer} uses one {@code RecognizeStream}; {@link ConcurrentUnaryRecognizer}
 * concurrent {@code Recognize} calls.
 */
interface BulkRecognizer {

  /** Receives results; called from gRPC threads, one call at a time. */
  interface Results {
    /** A response for input {@code index} (it may carry an item error). */
    void onResult(int index, RecognizeResponse response);

    /** Input {@code index} got no response: its call or the whole stream failed with {@code status}. */
    void onLost(int index, Status status);
  }

  /**
   * Recognizes {@code count} inputs; {@code requests} builds the request for an index (its
   * request_id is set here) or returns null to skip it. Blocks until every input has an outcome.
   *
   * @param deadline per call (unary) or for the whole stream; null for the default
   * @return OK, or the status that ended a stream early
   */
  Status run(int count, IntFunction<RecognizeRequest> requests, Duration deadline, Results results)
      throws InterruptedException;

  /** The bulk recognizer for {@code mode}. */
  static BulkRecognizer of(Mode mode, io.grpc.Channel channel, int concurrency) {
    return switch (mode) {
      case STREAM -> new StreamingRecognizer(channel, concurrency);
      case UNARY -> new ConcurrentUnaryRecognizer(channel, concurrency);
      case INFER -> new InferenceRecognizer(channel, concurrency, 8);
    };
  }

  /**
   * How many images travel: over one bidirectional stream, as concurrent unary calls, or 8 to an
   * Open Inference Protocol {@code ModelInfer} request.
   */
  enum Mode { STREAM, UNARY, INFER }
}
