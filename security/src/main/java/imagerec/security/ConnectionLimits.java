package imagerec.security;

import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What one client may hold on a server's connections, the same rules for both servers, and the
 * matching keepalive of their own outgoing channels, so the two ends agree: a client pings no more
 * often than {@link #CHANNEL_KEEPALIVE} and a server accepts pings every {@link #PERMIT_KEEPALIVE}.
 *
 * @param maxMessageBytes largest message received; past it the call fails with RESOURCE_EXHAUSTED
 *     naming the limit
 * @param maxConcurrentStreams calls one connection may have open at once (HTTP/2
 *     SETTINGS_MAX_CONCURRENT_STREAMS); a client's further calls wait in its own transport
 * @param maxConnectionIdle a connection with no call for this long is closed with GOAWAY (zero: never)
 * @param keepAlive the server pings a connection silent for this long, and closes it when the
 *     ping is not answered within {@link #PING_TIMEOUT} (a peer that vanished without a FIN)
 */
public record ConnectionLimits(int maxMessageBytes, int maxConcurrentStreams, Duration maxConnectionIdle,
                               Duration keepAlive) {
  /** Clients may ping this often and no more (gRPC's own default is 5 minutes). */
  public static final Duration PERMIT_KEEPALIVE = Duration.ofSeconds(10);
  /** How often the servers' own channels (balancer to workers, worker to balancer) ping a silent connection. */
  public static final Duration CHANNEL_KEEPALIVE = Duration.ofSeconds(30);
  /** How long a ping may go unanswered before the connection is given up. */
  public static final Duration PING_TIMEOUT = Duration.ofSeconds(10);

  public ConnectionLimits {
    if (maxMessageBytes < 1 || maxConcurrentStreams < 1 || maxConnectionIdle.isNegative()
        || keepAlive.compareTo(PERMIT_KEEPALIVE) < 0) {
      throw new IllegalArgumentException("message size and streams must be positive, idle time not negative, "
          + "keepalive at least " + PERMIT_KEEPALIVE.toSeconds() + " s");
    }
  }

  /** Applies the limits to a Netty server builder (the only transport that has them all). */
  public void applyTo(io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder builder) {
    builder.maxInboundMessageSize(maxMessageBytes)
        .maxConcurrentCallsPerConnection(maxConcurrentStreams)
        .keepAliveTime(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(PERMIT_KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true);
    if (!maxConnectionIdle.isZero()) {
      builder.maxConnectionIdle(maxConnectionIdle.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Applies the message limit to any server builder (in-process ones in tests). */
  public void applyTo(ServerBuilder<?> builder) {
    builder.maxInboundMessageSize(maxMessageBytes);
  }

  /**
   * Keepalive of a server's own long-lived channel to another of this system's servers: pings a
   * silent connection every {@link #CHANNEL_KEEPALIVE}, which the other side permits, and gives it
   * up after {@link #PING_TIMEOUT} without an answer.
   */
  public static ManagedChannelBuilder<?> keepAlive(ManagedChannelBuilder<?> builder) {
    return builder.keepAliveTime(CHANNEL_KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveWithoutCalls(true);
  }
}
