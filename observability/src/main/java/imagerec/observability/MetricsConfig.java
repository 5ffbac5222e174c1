package imagerec.observability;

import java.nio.file.Path;

/**
 * Where a process serves its metrics.
 *
 * @param host address the HTTP endpoint binds
 * @param port its port; 0 picks a free one, -1 serves none
 * @param portFile where to write the bound port (null for none)
 */
public record MetricsConfig(String host, int port, Path portFile) {
  /** No endpoint (the meters are still kept). */
  public static final MetricsConfig OFF = new MetricsConfig("127.0.0.1", -1, null);

  public boolean enabled() {
    return port >= 0;
  }
}
