package imagerec.balancer.http;

import imagerec.grpc.WireHeaders;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;

/**
 * An HTTP caller's {@code Authorization} header, passed on to the balancer's own services in
 * process, which check it as they check a gRPC caller's.
 */
final class CallerAuthorization {
  private CallerAuthorization() {
  }

  /** {@code stub} sending {@code authorization} as its {@code authorization} header; unchanged when null. */
  static <S extends AbstractStub<S>> S carrying(S stub, String authorization) {
    if (authorization == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(WireHeaders.AUTHORIZATION, authorization);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
