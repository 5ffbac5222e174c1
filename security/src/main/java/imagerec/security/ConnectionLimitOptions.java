package imagerec.security;

import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The connection limits both servers share, as a picocli mixin (flags over {@code IMAGEREC_*}
 * environment variables over defaults). {@code --max-concurrent-streams} is per connection, and a
 * balancer sends all its calls to one worker over one connection: its default (2000) is above what
 * a worker admits with its default queues (1024 images waiting for decoding, 256 per model waiting
 * for inference), so a worker sheds with RESOURCE_EXHAUSTED before the stream limit makes calls
 * wait in the balancer.
 */
public final class ConnectionLimitOptions {
  @Option(names = "--max-message-bytes", defaultValue = "${env:IMAGEREC_MAX_MESSAGE_BYTES:-16777216}",
      description = "largest message accepted; a larger one fails with RESOURCE_EXHAUSTED naming the limit (default: ${DEFAULT-VALUE})")
  int maxMessageBytes;

  @Option(names = "--max-concurrent-streams", defaultValue = "${env:IMAGEREC_MAX_CONCURRENT_STREAMS:-2000}",
      description = "calls one connection may have open at once; a client's further calls wait on its side (default: ${DEFAULT-VALUE})")
  int maxConcurrentStreams;

  @Option(names = "--max-connection-idle-ms", defaultValue = "${env:IMAGEREC_MAX_CONNECTION_IDLE_MS:-600000}",
      description = "close a connection with no call for this long; 0 = never (default: ${DEFAULT-VALUE})")
  long maxConnectionIdleMs;

  @Option(names = "--keepalive-ms", defaultValue = "${env:IMAGEREC_KEEPALIVE_MS:-60000}",
      description = "ping a silent connection this often and drop it when the ping goes unanswered for 10 s; "
          + "at least 10000 (default: ${DEFAULT-VALUE})")
  long keepAliveMs;

  /** The limits, or a ParameterException of {@code command} saying what is wrong. */
  public ConnectionLimits limits(CommandLine command) {
    if (maxMessageBytes < 1024 || maxConcurrentStreams < 1 || maxConnectionIdleMs < 0
        || keepAliveMs < ConnectionLimits.PERMIT_KEEPALIVE.toMillis()) {
      throw new CommandLine.ParameterException(command, "--max-message-bytes must be at least 1024, "
          + "--max-concurrent-streams at least 1, --max-connection-idle-ms not negative, --keepalive-ms at least "
          + ConnectionLimits.PERMIT_KEEPALIVE.toMillis());
    }
    return new ConnectionLimits(maxMessageBytes, maxConcurrentStreams, Duration.ofMillis(maxConnectionIdleMs),
        Duration.ofMillis(keepAliveMs));
  }
}
