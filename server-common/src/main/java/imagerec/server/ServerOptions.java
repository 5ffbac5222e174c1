package imagerec.server;

import imagerec.observability.MetricsConfig;
import imagerec.security.ByteBudget;
import imagerec.security.ConnectionLimits;
import imagerec.security.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine;

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

  @Option(names = "--port-file", paramLabel = "PATH", description = "write the bound port to this file once listening")
  Path portFile;

  @Option(names = "--shutdown-grace-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_SHUTDOWN_GRACE_MS:-10000}",
      description = "time calls in flight (and the balancer's HTTP uploads) get to finish at shutdown "
          + "(default: ${DEFAULT-VALUE})")
  long shutdownGraceMs;

  @Option(names = "--max-bytes-in-flight", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_BYTES_IN_FLIGHT:-0}",
      description = "request bytes held at once (the balancer: gRPC calls and HTTP uploads together; a worker: "
          + "images received and not yet answered); past it, RESOURCE_EXHAUSTED (default: half the heap)")
  long maxBytesInFlight;

  @Option(names = "--max-message-bytes", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_MESSAGE_BYTES:-16777216}",
      description = "largest message accepted; a larger one fails with RESOURCE_EXHAUSTED naming the limit (default: ${DEFAULT-VALUE})")
  int maxMessageBytes;

  // Per connection, and a balancer sends all its calls to one worker over one connection: the default
  // is above what a worker admits with its default queues (1024 images waiting for decoding, 256 per
  // model for inference), so a worker sheds with RESOURCE_EXHAUSTED before this limit makes calls
  // wait in the balancer.
  @Option(names = "--max-concurrent-streams", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_CONCURRENT_STREAMS:-2000}",
      description = "calls one connection may have open at once; a client's further calls wait on its side (default: ${DEFAULT-VALUE})")
  int maxConcurrentStreams;

  @Option(names = "--max-connection-idle-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_MAX_CONNECTION_IDLE_MS:-600000}",
      description = "close a connection with no call for this long; 0 = never (default: ${DEFAULT-VALUE})")
  long maxConnectionIdleMs;

  @Option(names = "--keepalive-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_KEEPALIVE_MS:-60000}",
      description = "ping a silent connection this often and drop it when the ping goes unanswered for 10 s; "
          + "at least 10000 (default: ${DEFAULT-VALUE})")
  long keepAliveMs;

  @Option(names = "--tls-cert", defaultValue = "${env:IMAGEREC_TLS_CERT}", paramLabel = "PEM",
      description = "serve TLS with this certificate chain (with --tls-key); read again every minute")
  Path cert;

  @Option(names = "--tls-key", defaultValue = "${env:IMAGEREC_TLS_KEY}", paramLabel = "PEM",
      description = "the private key of --tls-cert (PKCS#8 PEM)")
  Path key;

  @Option(names = "--tls-client-ca", defaultValue = "${env:IMAGEREC_TLS_CLIENT_CA}", paramLabel = "PEM",
      description = "mutual TLS: only clients with a certificate signed by this CA may connect")
  Path clientCa;

  @Option(names = "--token", defaultValue = "${env:IMAGEREC_TOKEN}", paramLabel = "TOKEN",
      description = "Recognizer calls (and the balancer's HTTP uploads) must carry 'authorization: Bearer TOKEN'; "
          + "health and reflection stay open")
  String token;

  @Option(names = "--reflection", defaultValue = "${env:IMAGEREC_REFLECTION:-true}", negatable = true,
      fallbackValue = "true", description = "serve gRPC server reflection (default: ${DEFAULT-VALUE})")
  boolean reflection;

  @Option(names = "--metrics-port", defaultValue = "${env:IMAGEREC_METRICS_PORT}", paramLabel = "PORT",
      description = "HTTP port of the Prometheus endpoint /metrics; 0 picks a free one, -1 turns it off "
          + "(default: 9090 on the balancer, 9091 on a worker)")
  Integer metricsPort;

  @Option(names = "--metrics-host", paramLabel = "ADDRESS", defaultValue = "${env:IMAGEREC_METRICS_HOST:-0.0.0.0}",
      description = "address the metrics endpoint binds (default: ${DEFAULT-VALUE})")
  String metricsHost;

  @Option(names = "--metrics-port-file", paramLabel = "PATH", description = "write the bound metrics port to this file")
  Path metricsPortFile;

  @Option(names = "--access-log", paramLabel = "true|false", defaultValue = "${env:IMAGEREC_ACCESS_LOG:-false}", fallbackValue = "true",
      arity = "0..1", description = "log one line per call answered (per item of a stream) (default: ${DEFAULT-VALUE})")
  boolean accessLog;

  /** The options as a config, or a ParameterException of {@code command} saying what is wrong. */
  public ServerConfig config(CommandLine command, Defaults defaults) {
    return config(command, defaults, System.getenv());
  }

  ServerConfig config(CommandLine command, Defaults defaults, Map<String, String> environment) {
    int listenPort = port != null ? port
        : intVariable(command, environment, defaults.variablePrefix() + "PORT", defaults.port());
    String listenHost = host != null ? host
        : environment.getOrDefault(defaults.variablePrefix() + "HOST", "0.0.0.0");
    ConnectionLimits connectionLimits = limits(command);
    long bytes = maxBytesInFlight > 0 ? maxBytesInFlight : ByteBudget.halfTheHeap();
    try {
      return new ServerConfig(listenHost, listenPort, portFile, Duration.ofMillis(shutdownGraceMs), bytes,
          connectionLimits, metrics(command, defaults.metricsPort()), accessLog, tls(command), token, reflection);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(command, e.getMessage());
    }
  }

  private ConnectionLimits limits(CommandLine command) {
    if (maxMessageBytes < 1024 || maxConcurrentStreams < 1 || maxConnectionIdleMs < 0
        || keepAliveMs < ConnectionLimits.PERMIT_KEEPALIVE.toMillis()) {
      throw new CommandLine.ParameterException(command, "--max-message-bytes must be at least 1024, "
          + "--max-concurrent-streams at least 1, --max-connection-idle-ms not negative, --keepalive-ms at least "
          + ConnectionLimits.PERMIT_KEEPALIVE.toMillis());
    }
    return new ConnectionLimits(maxMessageBytes, maxConcurrentStreams, Duration.ofMillis(maxConnectionIdleMs),
        Duration.ofMillis(keepAliveMs));
  }

  private TlsConfig tls(CommandLine command) {
    TlsConfig config = new TlsConfig(cert, key, clientCa);
    String problem = config.problem("--tls-cert", "--tls-key", "--tls-client-ca");
    if (problem == null && clientCa != null && cert == null) {
      problem = "--tls-client-ca needs --tls-cert and --tls-key";
    }
    if (problem != null) {
      throw new CommandLine.ParameterException(command, problem);
    }
    return config;
  }

  private MetricsConfig metrics(CommandLine command, int defaultPort) {
    int port = metricsPort != null ? metricsPort : defaultPort;
    if (port < -1 || port > 65535) {
      throw new CommandLine.ParameterException(command, "--metrics-port must be -1 (off) or 0..65535");
    }
    return new MetricsConfig(metricsHost, port, metricsPortFile);
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
