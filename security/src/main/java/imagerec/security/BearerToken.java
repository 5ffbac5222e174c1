package imagerec.security;

import imagerec.grpc.WireHeaders;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} with every call it is attached to (the balancer's
 * calls to its workers). Over a plaintext channel the token travels in the clear: use TLS where
 * the network is not trusted.
 */
public final class BearerToken extends CallCredentials {
  private final String header;

  public BearerToken(String token) {
    this.header = WireHeaders.BEARER + token.strip();
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    try {
      Metadata headers = new Metadata();
      headers.put(WireHeaders.AUTHORIZATION, header);
      applier.apply(headers);
    } catch (RuntimeException e) {
      applier.fail(Status.UNAUTHENTICATED.withCause(e));
    }
  }

  @Override
  public String toString() {
    return "BearerToken[hidden]";
  }
}
