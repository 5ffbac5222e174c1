package imagerec.balancer;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The balancer's network threads: one Netty event-loop group that serves its client connections,
 * its admin port and its connections to workers alike (epoll where the platform has it).
 *
 * <p>Forwarding never blocks, so a call's work is all on these threads: reading the client's
 * request, writing it to a worker, reading the answer, writing it back. gRPC's default gives the
 * servers and the channels a shared group of twice as many threads as cores, so the two halves of
 * a call mostly run on different threads and every call pays two hand-offs between them. Fewer
 * threads, each owning more connections, hand off less: on two cores, one thread cut the
 * balancer's CPU per call by a fifth and its added latency at concurrency 1 a little
 * (docs/PERFORMANCE.md). One thread carries tens of thousands of calls a second, so the default
 * is one per two cores. Thread-safe.
 */
public final class TransportThreads implements AutoCloseable {
  private final EventLoopGroup group;
  private final Class<? extends ServerChannel> serverChannel;
  private final Class<? extends io.grpc.netty.shaded.io.netty.channel.Channel> clientChannel;

  /** The default thread count: one per two available cores, at least one. */
  public static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  /** Starts {@code threads} event loops. */
  public TransportThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("event-loop threads must be positive: " + threads);
    }
    DefaultThreadFactory names = new DefaultThreadFactory("balancer-io", true);
    if (Epoll.isAvailable()) {
      group = new EpollEventLoopGroup(threads, names);
      serverChannel = EpollServerSocketChannel.class;
      clientChannel = EpollSocketChannel.class;
    } else {
      group = new NioEventLoopGroup(threads, names);
      serverChannel = NioServerSocketChannel.class;
      clientChannel = NioSocketChannel.class;
    }
  }

  /** Puts a server's accepting and its connections on these threads. */
  public NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder.bossEventLoopGroup(group).workerEventLoopGroup(group).channelType(serverChannel);
  }

  /** Puts a channel's connections on these threads. */
  public NettyChannelBuilder applyTo(NettyChannelBuilder builder) {
    return builder.eventLoopGroup(group).channelType(clientChannel);
  }

  /** Stops the threads; call once the servers and channels using them are shut down. */
  @Override
  public void close() {
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }
}
