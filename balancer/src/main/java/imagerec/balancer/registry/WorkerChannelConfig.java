package imagerec.balancer.registry;

import imagerec.security.TlsConfig;

/**
 * How the balancer's channels reach its workers.
 *
 * @param tls whether they use TLS
 * @param files the CA the workers' certificates are checked against (null: the system's), and the
 *     balancer's client certificate for workers that require mutual TLS
 * @param token the bearer token sent to the workers (null: none); the caller's is never forwarded
 */
public record WorkerChannelConfig(boolean tls, TlsConfig files, String token) {
  /** Plaintext, no token. */
  public static final WorkerChannelConfig PLAINTEXT = new WorkerChannelConfig(false, TlsConfig.OFF, null);

  public WorkerChannelConfig {
    token = token == null || token.isBlank() ? null : token.strip();
  }

  @Override
  public String toString() { // the token is a secret: never in the log
    return "WorkerChannelConfig[tls=" + tls + ", files=" + files + ", token=" + (token == null ? "none" : "(hidden)")
        + "]";
  }
}
