package imagerec.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every command shares: where to connect and how long to wait. */
public final class TargetOptions {
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  @Option(names = {"-t", "--target"}, defaultValue = "${env:IMAGEREC_TARGET:-localhost:50051}",
      paramLabel = "HOST:PORT", description = "balancer (or worker) address; env IMAGEREC_TARGET (default: ${DEFAULT-VALUE})")
  String target;

  @Option(names = "--deadline", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "deadline per call, e.g. 500ms, 30s, 2m (default: 30s per image; none for a whole stream)")
  Duration deadline;

  @Option(names = {"-v", "--verbose"}, description = "print stack traces of errors")
  boolean verbose;

  /** A plaintext channel to the target; the caller shuts it down. */
  public ManagedChannel channel() {
    return ManagedChannelBuilder.forTarget(target)
        .usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .build();
  }

  /** The deadline for one call: the user's, or {@code fallback}. */
  public Duration callDeadline(Duration fallback) {
    return deadline != null ? deadline : fallback;
  }
}
