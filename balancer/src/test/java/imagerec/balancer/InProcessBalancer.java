package imagerec.balancer;

import imagerec.observability.Tracing;
import imagerec.testing.FakeWorker;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * A balancer on in-process transports in front of in-process fake workers, the set-up of the
 * balancer's service tests. Closing it closes the channel, the balancer and the workers.
 */
public final class InProcessBalancer implements AutoCloseable {
  private final String prefix = InProcessServerBuilder.generateName();
  /** The fake workers, in the order of {@link #workerNames()}. */
  public final List<FakeWorker> workers;
  /** The balancer, once {@link #start started}. */
  public BalancerServer balancer;
  /** A channel to the balancer, once started. */
  public ManagedChannel channel;

  /** Starts {@code workers} fake workers; the balancer starts with {@link #start}. */
  public InProcessBalancer(int workers) throws IOException {
    this.workers = FakeWorker.startMany(prefix, workers);
  }

  /** The workers' in-process names: the addresses to give the balancer. */
  public List<String> workerNames() {
    return workers.stream().map(w -> w.name).toList();
  }

  /** Starts the balancer with {@code config}, which names {@link #workerNames()}, and tracing from the environment. */
  public BalancerServer start(BalancerConfig config) throws IOException {
    return start(config, address -> InProcessChannelBuilder.forName(address).build(),
        Tracing.fromEnvironment("imagerec-balancer"));
  }

  /**
   * Starts the balancer with {@code config}, reaching a worker through {@code channels} (given its
   * in-process name), with {@code tracing}, which the balancer then owns.
   */
  public BalancerServer start(BalancerConfig config, Function<String, ManagedChannel> channels, Tracing tracing)
      throws IOException {
    String name = prefix + "-balancer";
    balancer = BalancerServer.start(config, InProcessServerBuilder.forName(name), channels, tracing);
    channel = InProcessChannelBuilder.forName(name).build();
    return balancer;
  }

  @Override
  public void close() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (balancer != null) {
      balancer.close();
    }
    for (FakeWorker w : workers) {
      w.close();
    }
  }
}
