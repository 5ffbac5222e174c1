package imagerec.testing;

import imagerec.v1.RecognizeResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The response side of a {@code RecognizeStream} under test: a {@link Collector} that also keeps
 * the responses by request id and counts ids answered twice. Thread-safe.
 */
public final class StreamCollector extends Collector<RecognizeResponse> {
  private final Map<String, RecognizeResponse> byId = new LinkedHashMap<>();
  private int duplicates;

  @Override
  public synchronized void onNext(RecognizeResponse response) {
    super.onNext(response);
    if (byId.put(response.getRequestId(), response) != null) {
      duplicates++;
    }
  }

  /** Every response, in the order they came. */
  public List<RecognizeResponse> responses() {
    return messages();
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
