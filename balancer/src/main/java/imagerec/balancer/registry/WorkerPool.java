package imagerec.balancer.registry;

import imagerec.balancer.discovery.Membership;
import imagerec.balancer.health.HealthWatcher;
import io.grpc.ManagedChannel;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer's workers as connections: adding one opens its channel and starts watching its
 * health, removing one stops the watch and lets its channel finish the calls in flight. Owns the
 * channels and the watcher, and closes them in {@link #close()}. Whatever found the worker (the
 * static list, DNS, a registration) calls {@link #add} and {@link #remove}; they are synchronized,
 * so two sources racing for one address open one channel.
 */
public final class WorkerPool implements Membership, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

  private final WorkerRegistry registry;
  private final HealthWatcher watcher;
  private final Function<String, ManagedChannel> channels;
  private boolean closed; // guarded by this

  /**
   * @param channels opens a channel to a worker's address (the balancer's transport, TLS and limits)
   */
  public WorkerPool(WorkerRegistry registry, HealthWatcher watcher, Function<String, ManagedChannel> channels) {
    this.registry = registry;
    this.watcher = watcher;
    this.channels = channels;
  }

  /** {@inheritDoc} Opens a channel to the worker and starts watching its health. */
  @Override
  public synchronized void add(String address, String source) {
    if (closed || registry.find(address).isPresent()) {
      return;
    }
    WorkerEndpoint endpoint = new WorkerEndpoint(address, source, channels.apply(address));
    registry.add(endpoint);
    watcher.watch(endpoint);
    log.info("worker {} added ({})", address, source);
  }

  /** {@inheritDoc} Its channel shuts down once the calls in flight on it have finished. */
  @Override
  public synchronized void remove(String address, String source) {
    registry.find(address).filter(e -> e.source().equals(source)).ifPresent(endpoint -> {
      registry.remove(endpoint);
      watcher.unwatch(endpoint);
      endpoint.channel().shutdown();
      log.info("worker {} removed ({})", address, source);
    });
  }

  /** Stops every health watch and closes every channel at once; no worker is added after. */
  @Override
  public synchronized void close() {
    closed = true;
    watcher.close();
    for (WorkerEndpoint endpoint : registry.snapshot().all()) {
      endpoint.channel().shutdownNow();
    }
  }
}
