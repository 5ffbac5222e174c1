package imagerec.observability;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The metrics and access-log options both servers share, as a picocli mixin (flags over
 * {@code IMAGEREC_*} environment variables over defaults). The metrics port's default differs by
 * server (9090 on the balancer, 9091 on a worker, so both fit on one host) and is given by each.
 */
public final class ObservabilityOptions {
  @Option(names = "--metrics-port", defaultValue = "${env:IMAGEREC_METRICS_PORT}", paramLabel = "PORT",
      description = "HTTP port of the Prometheus endpoint /metrics; 0 picks a free one, -1 turns it off "
          + "(default: 9090 on the balancer, 9091 on a worker)")
  Integer metricsPort;

  @Option(names = "--metrics-host", defaultValue = "${env:IMAGEREC_METRICS_HOST:-0.0.0.0}",
      description = "address the metrics endpoint binds (default: ${DEFAULT-VALUE})")
  String metricsHost;

  @Option(names = "--metrics-port-file", description = "write the bound metrics port to this file")
  Path metricsPortFile;

  @Option(names = "--access-log", defaultValue = "${env:IMAGEREC_ACCESS_LOG:-false}", fallbackValue = "true",
      arity = "0..1", description = "log one line per call answered (per item of a stream) (default: ${DEFAULT-VALUE})")
  boolean accessLog;

  /** Where metrics are served, or a ParameterException of {@code command} saying what is wrong. */
  public MetricsConfig metrics(CommandLine command, int defaultPort) {
    int port = metricsPort != null ? metricsPort : defaultPort;
    if (port < -1 || port > 65535) {
      throw new CommandLine.ParameterException(command, "--metrics-port must be -1 (off) or 0..65535");
    }
    return new MetricsConfig(metricsHost, port, metricsPortFile);
  }

  /** Whether every call is logged. */
  public boolean accessLog() {
    return accessLog;
  }
}
