package imagerec.server;

import imagerec.observability.ObservabilityOptions;
import imagerec.security.AccessOptions;
import imagerec.security.ByteBudget;
import imagerec.security.ConnectionLimitOptions;
import imagerec.security.ConnectionLimits;
import imagerec.security.ServerTlsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options every server process shares, as one picocli mixin (flags over {@code IMAGEREC_*}
 * environment variables over defaults): where it listens, how it stops, how many bytes it holds,
 * its connection limits, TLS, token, reflection, metrics and access log. Where the two servers'
 * defaults differ (gRPC and metrics ports, and the variables naming the gRPC port and host), each
 * gives its own {@link Defaults}.
 */
public final class ServerOptions {
  /**
   * What differs between servers.
   *
   * @param variablePrefix prefix of the variables of the gRPC port and host, as {@code IMAGEREC_WORKER_}
   * @param port the default gRPC port
   * @param metricsPort the default metrics port
   */
  public record Defaults(String variablePrefix, int port, int metricsPort) {}

  @Option(names = "--port", paramLabel = "PORT",
      description = "gRPC port; 0 picks a free one (default: 50051 on the balancer, 50061 on a worker; "
          + "IMAGEREC_BALANCER_PORT, IMAGEREC_WORKER_PORT)")
  Integer port;

  @Option(names = "--host", paramLabel = "ADDRESS",
      description = "address to bind (default: 0.0.0.0; IMAGEREC_BALANCER_HOST, IMAGEREC_WORKER_HOST)")
  String host;

  @Option(names = "--port-file", description = "write the bound port to this file once listening")
  Path portFile;

  @Option(names = "--shutdown-grace-ms", defaultValue = "${env:IMAGEREC_SHUTDOWN_GRACE_MS:-10000}",
      description = "time in-flight calls get to finish at shutdown (default: ${DEFAULT-VALUE})")
  long shutdownGraceMs;

  @Option(names = "--max-bytes-in-flight", defaultValue = "${env:IMAGEREC_MAX_BYTES_IN_FLIGHT:-0}",
      description = "request bytes held at once (the balancer: gRPC calls and HTTP uploads together; a worker: "
          + "images received and not yet answered); past it, RESOURCE_EXHAUSTED (default: half the heap)")
  long maxBytesInFlight;

  @Mixin
  ConnectionLimitOptions limits = new ConnectionLimitOptions();

  @Mixin
  ServerTlsOptions tls = new ServerTlsOptions();

  @Mixin
  AccessOptions access = new AccessOptions();

  @Mixin
  ObservabilityOptions observability = new ObservabilityOptions();

  /** The options as a config, or a ParameterException of {@code command} saying what is wrong. */
  public ServerConfig config(CommandLine command, Defaults defaults) {
    return config(command, defaults, System.getenv());
  }

  ServerConfig config(CommandLine command, Defaults defaults, Map<String, String> environment) {
    int listenPort = port != null ? port
        : intVariable(command, environment, defaults.variablePrefix() + "PORT", defaults.port());
    String listenHost = host != null ? host
        : environment.getOrDefault(defaults.variablePrefix() + "HOST", "0.0.0.0");
    ConnectionLimits connectionLimits = limits.limits(command);
    long bytes = maxBytesInFlight > 0 ? maxBytesInFlight : ByteBudget.halfTheHeap();
    try {
      return new ServerConfig(listenHost, listenPort, portFile, Duration.ofMillis(shutdownGraceMs), bytes,
          connectionLimits, observability.metrics(command, defaults.metricsPort()), observability.accessLog(),
          tls.config(command), access.token(), access.reflection());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(command, e.getMessage());
    }
  }

  private static int intVariable(CommandLine command, Map<String, String> environment, String name, int fallback) {
    String value = environment.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(command, name + " must be a port number, not '" + value + "'");
    }
  }
}
