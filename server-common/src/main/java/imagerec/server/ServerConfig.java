package imagerec.server;

import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
import imagerec.security.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What every server process is configured with, whatever it serves: where it listens, how it
 * stops, how much it holds, who may call it, and where its metrics go. Built by
 * {@link ServerOptions} from flags and environment; each server's own record holds one.
 *
 * @param host address the gRPC port binds
 * @param port gRPC port (0 = any free port; see {@code portFile})
 * @param portFile where to write the bound port once listening (null for none)
 * @param shutdownGrace how long calls in flight may take to finish at shutdown
 * @param maxBytesInFlight request bytes held at once; past it, RESOURCE_EXHAUSTED
 * @param limits message size, streams per connection, idle and keepalive of client connections
 * @param metrics where Prometheus metrics are served
 * @param accessLog whether every call answered is logged
 * @param tls the server's certificate, and the CA its clients must be signed by for mutual TLS
 * @param token the bearer token every Recognizer call must carry (null: none)
 * @param reflection whether server reflection is served
 */
public record ServerConfig(String host, int port, Path portFile, Duration shutdownGrace, long maxBytesInFlight,
                           ConnectionLimits limits, MetricsConfig metrics, boolean accessLog, TlsConfig tls,
                           String token, boolean reflection) {
  public ServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tls, "tls");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be 0..65535, not " + port);
    }
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("--shutdown-grace-ms must not be negative");
    }
    if (maxBytesInFlight < limits.maxMessageBytes()) {
      throw new IllegalArgumentException("--max-bytes-in-flight (" + maxBytesInFlight
          + ") must hold at least one message of --max-message-bytes (" + limits.maxMessageBytes() + ")");
    }
    token = token == null || token.isBlank() ? null : token.strip();
  }

  /**
   * Plaintext on {@code host} with an ephemeral port, no metrics endpoint, no access log, no token,
   * reflection served: the base that tests and embedded uses change what they need of.
   */
  public static ServerConfig ephemeral(String host, ConnectionLimits limits) {
    return new ServerConfig(host, 0, null, Duration.ofSeconds(1), 1L << 30, limits, MetricsConfig.OFF, false,
        TlsConfig.OFF, null, true);
  }

  /** This config with metrics served as {@code metrics} says. */
  public ServerConfig withMetrics(MetricsConfig metrics) {
    return new ServerConfig(host, port, portFile, shutdownGrace, maxBytesInFlight, limits, metrics, accessLog, tls,
        token, reflection);
  }

  /** This config with the access log on or off. */
  public ServerConfig withAccessLog(boolean on) {
    return new ServerConfig(host, port, portFile, shutdownGrace, maxBytesInFlight, limits, metrics, on, tls,
        token, reflection);
  }

  /** This config with a shutdown grace period of {@code grace}. */
  public ServerConfig withShutdownGrace(Duration grace) {
    return new ServerConfig(host, port, portFile, grace, maxBytesInFlight, limits, metrics, accessLog, tls,
        token, reflection);
  }

  @Override
  public String toString() { // the token is a secret: never in the log
    return "ServerConfig[host=" + host + ", port=" + port + ", portFile=" + portFile + ", shutdownGrace="
        + shutdownGrace + ", maxBytesInFlight=" + maxBytesInFlight + ", limits=" + limits + ", metrics=" + metrics
        + ", accessLog=" + accessLog + ", tls=" + tls + ", token=" + (token == null ? "none" : "(hidden)")
        + ", reflection=" + reflection + "]";
  }
}
