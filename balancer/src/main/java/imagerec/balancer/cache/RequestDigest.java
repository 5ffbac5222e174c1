package imagerec.balancer.cache;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 of a serialized request's fields but a few (the request id, which differs between
 * callers asking the same; the model, which the key names resolved), read from the bytes without
 * parsing them into a message.
 */
public final class RequestDigest {
  private RequestDigest() {}

  /**
   * The digest of {@code message} without the top-level fields {@code skipped}, or null when the
   * bytes are not a readable message (the worker refuses it; such a request is not cached).
   */
  public static ByteString of(byte[] message, int... skipped) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    CodedInputStream in = CodedInputStream.newInstance(message);
    try {
      while (true) {
        int start = in.getTotalBytesRead();
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (!in.skipField(tag)) {
          return null; // an end-group tag at the top level
        }
        if (!contains(skipped, WireFormat.getTagFieldNumber(tag))) {
          sha.update(message, start, in.getTotalBytesRead() - start);
        }
      }
    } catch (IOException e) {
      return null;
    }
    return ByteString.copyFrom(sha.digest());
  }

  private static boolean contains(int[] numbers, int number) {
    for (int n : numbers) {
      if (n == number) {
        return true;
      }
    }
    return false;
  }
}
