package imagerec.balancer.registry;

import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each worker's {@link ModelCatalog} current, whatever found the worker: asks its
 * {@code ListModels} when it turns SERVING, every {@code interval} after, and when told its
 * repository changed ({@link #refresh}). Routing then sends a call only to workers serving its
 * model. A worker that does not answer keeps its last catalog (none: it may serve anything).
 *
 * <p>Calls are asynchronous; answers update the endpoint from gRPC threads. Thread-safe.
 */
public final class CatalogPoller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CatalogPoller.class);
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(5);

  private final WorkerRegistry registry;
  private final ScheduledExecutorService scheduler;
  private final Duration interval;
  private final CallOptions callOptions;
  private final Set<WorkerEndpoint> serving = new HashSet<>(); // guarded by this
  private ScheduledFuture<?> periodic; // guarded by this
  private volatile Runnable onCatalogChange = () -> {};

  /**
   * @param callOptions options of the calls to workers (the balancer's token for them)
   */
  public CatalogPoller(WorkerRegistry registry, ScheduledExecutorService scheduler, Duration interval,
                       CallOptions callOptions) {
    this.registry = registry;
    this.scheduler = scheduler;
    this.interval = interval;
    this.callOptions = callOptions;
  }

  /** Runs {@code action} (on a gRPC thread) after any worker's catalog changed: a model or version added or gone. */
  public void onCatalogChange(Runnable action) {
    this.onCatalogChange = action;
  }

  /** Starts listening for workers turning SERVING and polling every interval. */
  public synchronized void start() {
    registry.addListener(this::onChange);
    onChange(registry.snapshot());
    long every = interval.toMillis();
    periodic = scheduler.scheduleWithFixedDelay(this::pollAll, every, every, TimeUnit.MILLISECONDS);
  }

  private void onChange(WorkerRegistry.Snapshot snapshot) {
    Set<WorkerEndpoint> turnedServing = new HashSet<>();
    synchronized (this) {
      Set<WorkerEndpoint> now = new HashSet<>();
      for (WorkerEndpoint e : snapshot.all()) {
        if (snapshot.healthOf(e) == WorkerRegistry.Health.SERVING) {
          now.add(e);
          if (!serving.contains(e)) {
            turnedServing.add(e);
          }
        }
      }
      serving.clear();
      serving.addAll(now);
    }
    turnedServing.forEach(this::refresh);
  }

  private void pollAll() {
    WorkerRegistry.Snapshot snapshot = registry.snapshot();
    for (WorkerEndpoint e : snapshot.all()) {
      if (snapshot.healthOf(e) == WorkerRegistry.Health.SERVING) {
        refresh(e);
      }
    }
  }

  /** Asks {@code worker} for its models now. */
  public void refresh(WorkerEndpoint worker) {
    ClientCalls.asyncUnaryCall(
        worker.channel().newCall(RecognizerGrpc.getListModelsMethod(), callOptions.withDeadlineAfter(
            CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)),
        ListModelsRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(ListModelsResponse response) {
            ModelCatalog next = ModelCatalog.of(response);
            ModelCatalog previous = worker.catalog();
            worker.setCatalog(next);
            if (!next.equals(previous)) {
              log.info("worker {} serves {} (default {})", worker.address(), describe(next), next.defaultModel());
              onCatalogChange.run();
            }
          }

          @Override
          public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (status.getCode() != Status.Code.UNIMPLEMENTED) {
              log.debug("worker {}: ListModels failed: {}", worker.address(), status);
            }
          }

          @Override
          public void onCompleted() {}
        });
  }

  private static String describe(ModelCatalog catalog) {
    StringBuilder s = new StringBuilder();
    for (String name : catalog.names()) {
      s.append(s.length() == 0 ? "" : ", ").append(name).append(" version ").append(catalog.versionOf(name));
    }
    return s.toString();
  }

  @Override
  public synchronized void close() {
    if (periodic != null) {
      periodic.cancel(false);
    }
  }
}
