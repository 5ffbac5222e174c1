package imagerec.balancer.forwarding;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;

/**
 * Reads the {@code request_id} (field 1) of a serialized {@code RecognizeRequest} without parsing
 * the rest: the image bytes are skipped, not copied. For log lines; "" when absent or unreadable.
 */
final class RequestIds {
  private static final int REQUEST_ID_TAG = (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED; // field 1, bytes

  private RequestIds() {}

  static String of(byte[] request) {
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
      // not a readable request: the worker will say so; the log line just has no id
    }
    return "";
  }
}
