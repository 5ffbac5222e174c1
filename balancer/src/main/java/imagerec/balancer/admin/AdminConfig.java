package imagerec.balancer.admin;

import java.nio.file.Path;

/**
 * Where and to whom the balancer's admin services ({@code BalancerAdmin}, {@code WorkerRegistration})
 * are served: on a port of their own, loopback by default, so that the public port offers only
 * recognition, health and reflection.
 *
 * @param host address the admin port binds
 * @param port the admin port (0 = any free port); {@link #ON_PUBLIC_PORT} serves the admin
 *     services on the public port instead
 * @param portFile where to write the bound admin port (null for none)
 * @param token the bearer token their calls must carry (null: none)
 */
public record AdminConfig(String host, int port, Path portFile, String token) {
  /** The port value that puts the admin services on the public port. */
  public static final int ON_PUBLIC_PORT = -1;

  /** Admin services on the public port, no token (single-port set-ups and in-process tests). */
  public static final AdminConfig SHARED = new AdminConfig(null, ON_PUBLIC_PORT, null, null);

  public AdminConfig {
    if (port < ON_PUBLIC_PORT || port > 65535) {
      throw new IllegalArgumentException("--admin-port must be -1 (on --port) or 0..65535, not " + port);
    }
    token = token == null || token.isBlank() ? null : token.strip();
  }

  /** Whether the admin services have a port of their own. */
  public boolean ownPort() {
    return port != ON_PUBLIC_PORT;
  }

  @Override
  public String toString() { // the token is a secret: never in the log
    return "AdminConfig[host=" + host + ", port=" + port + ", portFile=" + portFile + ", token="
        + (token == null ? "none" : "(hidden)") + "]";
  }
}
