package imagerec.balancer.http;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The balancer's optional HTTP port: the web page, its JSON API and the upload endpoints.
 *
 * @param host address to bind
 * @param port its port; 0 picks a free one, -1 serves none
 * @param timeout deadline of each recognition unless the request asks for less ({@code timeout_ms})
 * @param threads requests handled at once; more wait in the server's queue
 * @param portFile where to write the bound port (null for none)
 * @param workersPanel whether the page shows the workers ({@code GET /api/workers}, which needs the
 *     admin token when one is set)
 */
public record HttpConfig(String host, int port, Duration timeout, int threads, Path portFile, boolean workersPanel) {
  /** No HTTP endpoint. */
  public static final HttpConfig OFF = new HttpConfig("127.0.0.1", -1, Duration.ofSeconds(30), 1, null);

  /** With the workers panel on. */
  public HttpConfig(String host, int port, Duration timeout, int threads, Path portFile) {
    this(host, port, timeout, threads, portFile, true);
  }

  public HttpConfig {
    if (port < -1 || port > 65535) {
      throw new IllegalArgumentException("--http-port must be -1 (off) or 0..65535, not " + port);
    }
    if (timeout.toMillis() < 1 || threads < 1) {
      throw new IllegalArgumentException("--http-timeout-ms and --http-threads must be at least 1");
    }
  }

  public boolean enabled() {
    return port >= 0;
  }
}
