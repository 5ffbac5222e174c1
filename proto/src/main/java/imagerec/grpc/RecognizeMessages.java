package imagerec.grpc;

import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.Status;

/**
 * What the servers need of {@code RecognizeRequest} and {@code RecognizeResponse} beyond the
 * generated code: a request's id read from its raw bytes (the balancer forwards without parsing),
 * and the response that carries a failed stream item's status.
 */
public final class RecognizeMessages {
  private RecognizeMessages() {}

  /**
   * The {@code request_id} of a serialized {@code RecognizeRequest}, the image skipped, not
   * copied; "" when absent or unreadable (the worker rejects a malformed request itself).
   */
  public static String requestId(byte[] request) {
    return RawFields.string(request, RecognizeRequest.REQUEST_ID_FIELD_NUMBER);
  }

  /** The {@code model} of a serialized {@code RecognizeRequest}; "" for the default model. */
  public static String model(byte[] request) {
    return RawFields.string(request, RecognizeRequest.MODEL_FIELD_NUMBER);
  }

  /**
   * The response of a stream item that failed with {@code status}: the item's id and the status as
   * a {@code google.rpc.Status} (its description, or the code's name when it has none); the
   * stream goes on.
   */
  public static RecognizeResponse error(String requestId, Status status) {
    return RecognizeResponse.newBuilder()
        .setRequestId(requestId)
        .setError(com.google.rpc.Status.newBuilder()
            .setCode(status.getCode().value())
            .setMessage(status.getDescription() == null ? status.getCode().name() : status.getDescription()))
        .build();
  }
}
