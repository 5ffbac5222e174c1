package imagerec.grpc;

import com.google.protobuf.ByteString;
import imagerec.oip.InferTensorContents;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelStreamInferResponse;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

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
   * A request of {@code model} (the default for "") with {@code images}, encoded, as the input
   * {@code image}: one BYTES tensor of shape [N], typed contents.
   */
  public static ModelInferRequest.Builder imageRequest(String model, List<ByteString> images) {
    return ModelInferRequest.newBuilder().setModelName(model)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES")
            .addShape(images.size()).setContents(InferTensorContents.newBuilder().addAllBytesContents(images)));
  }

  /**
   * BYTES elements in the protocol's raw form (raw_input_contents, raw_output_contents, HTTP
   * binary data): each a 4-byte little-endian length, then its bytes.
   */
  public static ByteString packBytes(List<ByteString> elements) {
    int size = 0;
    for (ByteString e : elements) {
      size += 4 + e.size();
    }
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (ByteString e : elements) {
      out.putInt(e.size());
      e.copyTo(out);
    }
    return ByteString.copyFrom(out.array());
  }

  /**
   * The BYTES elements of raw contents ({@link #packBytes}'s form), not copied.
   *
   * @throws IllegalArgumentException naming the element where the contents are malformed
   */
  public static List<ByteString> unpackBytes(ByteString raw) {
    List<ByteString> elements = new ArrayList<>();
    ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int offset = 0;
    while (in.remaining() > 0) {
      if (in.remaining() < 4) {
        throw new IllegalArgumentException("raw contents end inside an element's length");
      }
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("raw element " + elements.size() + " declares "
            + Integer.toUnsignedString(length) + " bytes, " + in.remaining() + " are left");
      }
      elements.add(raw.substring(offset + 4, offset + 4 + length));
      in.position(in.position() + length);
      offset += 4 + length;
    }
    return elements;
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
