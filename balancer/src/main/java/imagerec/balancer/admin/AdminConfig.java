package imagerec.balancer.admin;

import java.nio.file.Path;

/**
 * Where the balancer's admin services ({@code BalancerAdmin}, {@code WorkerRegistration}) are
 * served: on a port of their own, loopback by default, so that the public port offers only
 * recognition, health and reflection.
 *
 * @param host address the admin port binds
 * @param port the admin port (0 = any free port); {@link #ON_PUBLIC_PORT} serves the admin
 *     services on the public port instead
 * @param portFile where to write the bound admin port (null for none)
 */
public record AdminConfig(String host, int port, Path portFile) {
  /** The port value that puts the admin services on the public port. */
  public static final int ON_PUBLIC_PORT = -1;

  /** Admin services on the public port (single-port set-ups and in-process tests). */
  public static final AdminConfig SHARED = new AdminConfig(null, ON_PUBLIC_PORT, null);

  /** Whether the admin services have a port of their own. */
  public boolean ownPort() {
    return port != ON_PUBLIC_PORT;
  }
}
