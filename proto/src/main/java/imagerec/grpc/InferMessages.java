package imagerec.grpc;

import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelStreamInferResponse;
import io.grpc.Status;

/**
 * What the servers need of the Open Inference Protocol's {@code ModelInferRequest} beyond the
 * generated code: its model and id read from raw bytes (the balancer forwards without parsing),
 * and the stream answer that carries a failed request's error.
 */
public final class InferMessages {
  /** The most images (elements of the batch dimension) one inference request may carry. */
  public static final int MAX_BATCH = 64;

  private InferMessages() {}

  public static String modelName(byte[] request) {
    return RawFields.string(request, ModelInferRequest.MODEL_NAME_FIELD_NUMBER);
  }

  public static String modelVersion(byte[] request) {
    return RawFields.string(request, ModelInferRequest.MODEL_VERSION_FIELD_NUMBER);
  }

  public static String id(byte[] request) {
    return RawFields.string(request, ModelInferRequest.ID_FIELD_NUMBER);
  }

  /**
   * The {@code ModelStreamInfer} answer of a request that failed with {@code status}: the code's
   * name and the description as its error message, the request's id and model in the response so
   * that a client can tell which request failed; the stream goes on.
   */
  public static ModelStreamInferResponse streamError(String id, String model, Status status) {
    String message = status.getCode().name()
        + (status.getDescription() == null ? "" : ": " + status.getDescription());
    return ModelStreamInferResponse.newBuilder()
        .setErrorMessage(message)
        .setInferResponse(ModelInferResponse.newBuilder().setId(id).setModelName(model))
        .build();
  }
}
