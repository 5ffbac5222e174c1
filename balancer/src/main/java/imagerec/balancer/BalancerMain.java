package imagerec.balancer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code imagerec-balancer}: parses options (flags over {@code IMAGEREC_*} environment variables
 * over defaults) and runs a {@link BalancerServer} until SIGTERM/SIGINT.
 */
@Command(name = "imagerec-balancer", mixinStandardHelpOptions = true, version = "imagerec-balancer 0.1.0",
    sortOptions = false,
    description = "Forwards imagerec.v1.Recognizer calls to the least-loaded healthy worker.",
    footer = {"", "Every option can also be set with the environment variable in its default, "
        + "for example IMAGEREC_WORKERS=w1:50061,w2:50061.",
        "Exit codes: 0 stopped cleanly, 1 failed to start, 2 bad options."})
public final class BalancerMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BalancerMain.class);

  @Option(names = "--port", defaultValue = "${env:IMAGEREC_BALANCER_PORT:-50051}",
      description = "gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--host", defaultValue = "${env:IMAGEREC_BALANCER_HOST:-0.0.0.0}",
      description = "address to bind (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--workers", split = ",", defaultValue = "${env:IMAGEREC_WORKERS}",
      paramLabel = "HOST:PORT", description = "worker addresses, comma-separated (required)")
  List<String> workers = new ArrayList<>();

  @Option(names = "--port-file", description = "write the bound port to this file once listening")
  Path portFile;

  @Option(names = "--max-attempts", defaultValue = "${env:IMAGEREC_MAX_ATTEMPTS:-3}",
      description = "attempts per call on UNAVAILABLE, each on another worker (default: ${DEFAULT-VALUE})")
  int maxAttempts;

  @Option(names = "--stream-window", defaultValue = "${env:IMAGEREC_STREAM_WINDOW:-64}",
      description = "items of one client stream at the workers at once (default: ${DEFAULT-VALUE})")
  int streamWindow;

  @Option(names = "--max-message-bytes", defaultValue = "${env:IMAGEREC_MAX_MESSAGE_BYTES:-16777216}",
      description = "largest message accepted (default: ${DEFAULT-VALUE})")
  int maxMessageBytes;

  @Option(names = "--shutdown-grace-ms", defaultValue = "${env:IMAGEREC_SHUTDOWN_GRACE_MS:-10000}",
      description = "time in-flight calls get to finish at shutdown (default: ${DEFAULT-VALUE})")
  long shutdownGraceMs;

  @Override
  public Integer call() throws Exception {
    List<String> addresses = workers == null ? List.of()
        : workers.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    CommandLine cmd = new CommandLine(this);
    if (addresses.isEmpty()) {
      throw new CommandLine.ParameterException(cmd, "no workers: give --workers HOST:PORT[,HOST:PORT...]");
    }
    for (String address : addresses) {
      if (!address.matches("[^\\s:]+:\\d{1,5}") && !address.matches("\\[[0-9a-fA-F:]+\\]:\\d{1,5}")) {
        throw new CommandLine.ParameterException(cmd, "worker address '" + address + "' is not HOST:PORT");
      }
    }
    if (maxAttempts < 1 || streamWindow < 1) {
      throw new CommandLine.ParameterException(cmd, "--max-attempts and --stream-window must be at least 1");
    }
    BalancerConfig config = new BalancerConfig(host, port, portFile, addresses, maxAttempts, streamWindow,
        maxMessageBytes, Duration.ofMillis(shutdownGraceMs));
    log.info("starting balancer with {}", config);
    BalancerServer balancer = BalancerServer.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(balancer::close, "shutdown"));
    balancer.awaitTermination();
    return 0;
  }

  public static void main(String[] args) {
    int code = new CommandLine(new BalancerMain()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
