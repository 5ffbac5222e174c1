package imagerec.balancer.forwarding;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Passes messages through as raw bytes, so the balancer forwards without parsing or re-encoding. */
final class ByteMarshaller implements MethodDescriptor.Marshaller<byte[]> {
  static final ByteMarshaller INSTANCE = new ByteMarshaller();

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

  /** {@code method} with both sides as raw bytes and, for the balancer's own calls, unary. */
  static MethodDescriptor<byte[], byte[]> bytes(MethodDescriptor<?, ?> method, MethodDescriptor.MethodType type) {
    return method.toBuilder(INSTANCE, INSTANCE).setType(type).build();
  }
}
