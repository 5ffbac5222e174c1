package imagerec.grpc;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Passes messages through as raw bytes: the balancer forwards without parsing or re-encoding, and
 * the worker parses requests itself so that a malformed one is the client's mistake.
 */
public final class ByteMarshaller implements MethodDescriptor.Marshaller<byte[]> {
  public static final ByteMarshaller INSTANCE = new ByteMarshaller();

  private ByteMarshaller() {}

  @Override
  public InputStream stream(byte[] value) {
    return new ByteArrayInputStream(value);
  }

  @Override
  public byte[] parse(InputStream stream) {
    try {
      return stream.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code method} with both sides as raw bytes, as a method of the given type. */
  public static MethodDescriptor<byte[], byte[]> bytes(MethodDescriptor<?, ?> method, MethodDescriptor.MethodType type) {
    return method.toBuilder(INSTANCE, INSTANCE).setType(type).build();
  }
}
