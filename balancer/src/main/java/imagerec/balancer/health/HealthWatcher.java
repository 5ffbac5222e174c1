package imagerec.balancer.health;

import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry.Health;
import imagerec.balancer.registry.WorkerRegistry;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@code grpc.health.v1.Health/Watch} stream open to every worker and mirrors what it says
 * into the {@link WorkerRegistry}: SERVING puts the worker in rotation; any other status, or the
 * stream breaking (the worker died or the connection dropped), takes it out at once. A broken
 * stream is re-opened after a backoff that grows from {@code minBackoff} to {@code maxBackoff}
 * and resets once the worker answers, so a worker that comes back rejoins by itself.
 *
 * <p>Threading: stream callbacks run on gRPC's threads, re-opens on the given scheduler (owned by
 * the caller).
 */
public final class HealthWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthWatcher.class);

  private final WorkerRegistry registry;
  private final String service;
  private final ScheduledExecutorService scheduler;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final Map<WorkerEndpoint, Context.CancellableContext> watches = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param service the health service name to watch (the worker's Recognizer service)
   */
  public HealthWatcher(WorkerRegistry registry, String service, ScheduledExecutorService scheduler,
                       Duration minBackoff, Duration maxBackoff) {
    this.registry = registry;
    this.service = service;
    this.scheduler = scheduler;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
  }

  /** Starts watching {@code endpoint} until {@link #unwatch} or {@link #close}. */
  public void watch(WorkerEndpoint endpoint) {
    open(endpoint, minBackoff);
  }

  /** Stops watching {@code endpoint}. */
  public void unwatch(WorkerEndpoint endpoint) {
    Context.CancellableContext context = watches.remove(endpoint);
    if (context != null) {
      context.cancel(null);
    }
  }

  private void open(WorkerEndpoint endpoint, Duration backoff) {
    if (closed) {
      return;
    }
    Context.CancellableContext context = Context.current().withCancellation();
    Context.CancellableContext previous = watches.put(endpoint, context);
    if (previous != null) {
      previous.cancel(null);
    }
    context.run(() -> HealthGrpc.newStub(endpoint.channel())
        .watch(HealthCheckRequest.newBuilder().setService(service).build(),
            new Observer(endpoint, context, backoff)));
  }

  private final class Observer implements StreamObserver<HealthCheckResponse> {
    private final WorkerEndpoint endpoint;
    private final Context.CancellableContext context;
    private Duration backoff;

    Observer(WorkerEndpoint endpoint, Context.CancellableContext context, Duration backoff) {
      this.endpoint = endpoint;
      this.context = context;
      this.backoff = backoff;
    }

    @Override
    public void onNext(HealthCheckResponse response) {
      backoff = minBackoff; // the worker answered: the next break starts from the shortest wait
      boolean serving = response.getStatus() == ServingStatus.SERVING;
      if (registry.setHealth(endpoint, serving ? Health.SERVING : Health.NOT_SERVING)) {
        log.info("worker {} is {}", endpoint, serving ? "SERVING: in rotation" : response.getStatus()
            + ": out of rotation");
      }
    }

    @Override
    public void onError(Throwable t) {
      if (closed || context.isCancelled() && watches.get(endpoint) != context) {
        return; // unwatched or replaced
      }
      if (registry.setHealth(endpoint, Health.UNREACHABLE)) {
        log.warn("worker {} health stream broke ({}): out of rotation", endpoint,
            Status.fromThrowable(t).getCode());
      }
      Duration next = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
      scheduler.schedule(() -> {
        if (watches.get(endpoint) == context) {
          endpoint.channel().resetConnectBackoff(); // reconnect now, not after gRPC's own backoff
          open(endpoint, next);
        }
      }, backoff.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onCompleted() {
      onError(Status.UNAVAILABLE.withDescription("health stream ended").asRuntimeException());
    }
  }

  @Override
  public void close() {
    closed = true;
    watches.values().forEach(c -> c.cancel(null));
    watches.clear();
  }
}
