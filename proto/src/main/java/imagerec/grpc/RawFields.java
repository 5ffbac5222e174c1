package imagerec.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads and sets a top-level string field of a serialized message without parsing the rest: the
 * balancer routes by a request's model and logs its id while forwarding the bytes unchanged, and
 * large fields (the images) are skipped, not copied.
 */
public final class RawFields {
  private RawFields() {}

  /**
   * The last value of string field {@code number} (proto3: the last one wins), or "" when absent
   * or unreadable (the worker rejects a malformed request itself).
   */
  public static String string(byte[] message, int number) {
    int wanted = number << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED; // a tag: field number, then wire type
    String value = "";
    try {
      CodedInputStream in = CodedInputStream.newInstance(message);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == wanted) {
          value = in.readStringRequireUtf8();
        } else if (!in.skipField(tag)) {
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not a readable message: what was read so far stands
    }
    return value;
  }

  /**
   * {@code message} with string field {@code number} set to {@code value}: the field is appended,
   * and a parser keeps the last value of a non-repeated field, so the message's bytes are copied
   * once and not re-encoded.
   */
  public static byte[] withString(byte[] message, int number, String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    int extra = CodedOutputStream.computeTagSize(number) + CodedOutputStream.computeUInt32SizeNoTag(utf8.length)
        + utf8.length;
    byte[] out = new byte[message.length + extra];
    System.arraycopy(message, 0, out, 0, message.length);
    CodedOutputStream tail = CodedOutputStream.newInstance(out, message.length, extra);
    try {
      tail.writeByteArray(number, utf8);
      tail.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("sized exactly above", e);
    }
    return out;
  }
}
