package imagerec.balancer;

import imagerec.security.TlsConfig;

/**
 * How the balancer protects its services and talks to its workers.
 *
 * @param server its own TLS (certificate, and the CA clients must be signed by for mutual TLS)
 * @param token the bearer token Recognizer calls (and HTTP uploads) must carry (null: none)
 * @param adminToken the bearer token of BalancerAdmin and WorkerRegistration (null: none)
 * @param workerTls whether the channels to the workers use TLS
 * @param worker the CA the workers' certificates are checked against (null: the system's), and
 *     the balancer's client certificate for workers that require mutual TLS
 * @param workerToken the bearer token sent to the workers (null: none)
 */
public record SecurityConfig(TlsConfig server, String token, String adminToken, boolean workerTls, TlsConfig worker,
                             String workerToken) {
  /** Plaintext everywhere, no tokens. */
  public static final SecurityConfig NONE = new SecurityConfig(TlsConfig.OFF, null, null, false, TlsConfig.OFF, null);

  @Override
  public String toString() { // tokens are secrets: never in the log
    return "SecurityConfig[server=" + server + ", token=" + hidden(token) + ", adminToken=" + hidden(adminToken)
        + ", workerTls=" + workerTls + ", worker=" + worker + ", workerToken=" + hidden(workerToken) + "]";
  }

  private static String hidden(String secret) {
    return secret == null ? "none" : "(hidden)";
  }
}
