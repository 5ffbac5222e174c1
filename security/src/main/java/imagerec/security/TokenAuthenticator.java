package imagerec.security;

import imagerec.grpc.WireHeaders;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Lets a call in only with {@code authorization: Bearer <token>} matching this service's token;
 * else closes it at once with UNAUTHENTICATED, before any message is read, so nothing of it goes
 * further. The comparison takes the same time whatever the presented token (SHA-256 digests of
 * both, compared with {@link MessageDigest#isEqual}). Applied per service: health and reflection
 * stay open for probes and tools.
 */
public final class TokenAuthenticator implements ServerInterceptor {

  private final byte[] expected;
  private final String realm;

  /**
   * @param token the secret (never logged)
   * @param realm what it protects, for the error message ("the Recognizer service")
   */
  public TokenAuthenticator(String token, String realm) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("empty token");
    }
    this.expected = digest(token.strip());
    this.realm = realm;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                               ServerCallHandler<ReqT, RespT> next) {
    String problem = problem(headers.get(WireHeaders.AUTHORIZATION));
    if (problem != null) {
      call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  /**
   * Why an {@code authorization} value does not let its caller in, or null when it does; for
   * callers that are not gRPC calls (the balancer's HTTP endpoints).
   */
  public String problem(String authorization) {
    if (authorization == null) {
      return "missing 'authorization: Bearer <token>' for " + realm;
    }
    if (!authorization.regionMatches(true, 0, WireHeaders.BEARER, 0, WireHeaders.BEARER.length())
        || !MessageDigest.isEqual(expected, digest(authorization.substring(WireHeaders.BEARER.length()).strip()))) {
      return "wrong token for " + realm;
    }
    return null;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
