package imagerec.cli;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/** A channel to the target, with the options' interceptors applied; closing it shuts it down. */
public final class Connection implements AutoCloseable {
  private final ManagedChannel managed;
  private final Channel channel;

  Connection(ManagedChannel managed, Channel channel) {
    this.managed = managed;
    this.channel = channel;
  }

  /** The channel to build stubs on. */
  public Channel channel() {
    return channel;
  }

  /**
   * The channel with the header that keeps calls out of the balancer's response cache
   * ({@code imagerec-cache: no}), or the plain channel when {@code noCache} is false.
   */
  public Channel channel(boolean noCache) {
    if (!noCache) {
      return channel;
    }
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(imagerec.grpc.WireHeaders.CACHE, "no");
    return io.grpc.ClientInterceptors.intercept(channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** Makes the next call reconnect at once instead of after gRPC's backoff. */
  public void resetConnectBackoff() {
    managed.resetConnectBackoff();
  }

  @Override
  public void close() throws InterruptedException {
    managed.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
