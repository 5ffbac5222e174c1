package imagerec.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.Status;
import java.io.IOException;

/**
 * What the servers need of {@code RecognizeRequest} and {@code RecognizeResponse} beyond the
 * generated code: a request's id read from its raw bytes (the balancer forwards without parsing),
 * and the response that carries a failed stream item's status.
 */
public final class RecognizeMessages {
  private static final int REQUEST_ID_TAG = // a tag is the field number shifted left by 3, then the wire type
      RecognizeRequest.REQUEST_ID_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private RecognizeMessages() {}

  /**
   * The {@code request_id} of a serialized {@code RecognizeRequest}, the image skipped, not
   * copied; "" when absent or unreadable (the worker rejects a malformed request itself).
   */
  public static String requestId(byte[] request) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(request);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == REQUEST_ID_TAG) {
          return in.readStringRequireUtf8();
        }
        if (!in.skipField(tag)) {
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not a readable request: reported under an empty id
    }
    return "";
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
