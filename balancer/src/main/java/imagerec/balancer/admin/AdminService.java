package imagerec.balancer.admin;

import imagerec.balancer.cache.ResponseCache;
import imagerec.balancer.registry.ModelCatalog;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.CacheStats;
import imagerec.v1.CacheStatsRequest;
import imagerec.v1.DrainWorkerRequest;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.ListWorkersResponse;
import imagerec.v1.ServedModel;
import imagerec.v1.WorkerStatus;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code imagerec.v1.BalancerAdmin}: the registry as operators see it, and draining. */
public final class AdminService extends BalancerAdminGrpc.BalancerAdminImplBase {
  private static final Logger log = LoggerFactory.getLogger(AdminService.class);

  private final WorkerRegistry registry;
  private final LongSupplier nanoClock;
  private final ResponseCache cache;

  /**
   * @param nanoClock the clock ejections and overload marks are kept on (System.nanoTime scale)
   * @param cache the response cache, or null when it is off
   */
  public AdminService(WorkerRegistry registry, LongSupplier nanoClock, ResponseCache cache) {
    this.registry = registry;
    this.nanoClock = nanoClock;
    this.cache = cache;
  }

  @Override
  public void getCacheStats(CacheStatsRequest request, StreamObserver<CacheStats> responses) {
    answerCache(0, responses);
  }

  @Override
  public void clearCache(CacheStatsRequest request, StreamObserver<CacheStats> responses) {
    long cleared = 0;
    if (cache != null) {
      cleared = cache.clear();
      log.info("response cache cleared by an operator: {} answers dropped", cleared);
    }
    answerCache(cleared, responses);
  }

  private void answerCache(long cleared, StreamObserver<CacheStats> responses) {
    if (cache == null) {
      responses.onError(Status.FAILED_PRECONDITION.withDescription("the balancer has no response cache "
          + "(start it with --cache-bytes)").asRuntimeException());
      return;
    }
    cache.cleanUp();
    ResponseCache.Stats s = cache.stats();
    responses.onNext(CacheStats.newBuilder().setHits(s.hits()).setMisses(s.misses()).setCoalesced(s.coalesced())
        .setEvictions(s.evictions()).setEntries(s.entries()).setBytes(s.bytes()).setMaxBytes(s.maxBytes())
        .setCleared(cleared).build());
    responses.onCompleted();
  }

  @Override
  public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> responses) {
    WorkerRegistry.Snapshot snapshot = registry.snapshot();
    ListWorkersResponse.Builder response = ListWorkersResponse.newBuilder();
    snapshot.all().forEach(e -> response.addWorkers(status(snapshot, e)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void drainWorker(DrainWorkerRequest request, StreamObserver<WorkerStatus> responses) {
    setDraining(request.getAddress(), true, responses);
  }

  @Override
  public void undrainWorker(DrainWorkerRequest request, StreamObserver<WorkerStatus> responses) {
    setDraining(request.getAddress(), false, responses);
  }

  private void setDraining(String address, boolean drain, StreamObserver<WorkerStatus> responses) {
    Optional<WorkerEndpoint> endpoint = registry.find(address);
    if (endpoint.isEmpty()) {
      responses.onError(Status.NOT_FOUND.withDescription("no worker at '" + address + "'; known: "
          + registry.snapshot().all()).asRuntimeException());
      return;
    }
    if (registry.setDraining(endpoint.get(), drain)) {
      log.info("worker {} {} by an operator", address, drain ? "drained" : "undrained");
    }
    responses.onNext(status(registry.snapshot(), endpoint.get()));
    responses.onCompleted();
  }

  private WorkerStatus status(WorkerRegistry.Snapshot snapshot, WorkerEndpoint e) {
    long now = nanoClock.getAsLong();
    boolean ejected = e.isEjected(now);
    WorkerStatus.State state;
    if (snapshot.draining().contains(e)) {
      state = WorkerStatus.State.DRAINING;
    } else if (ejected && snapshot.healthOf(e) == WorkerRegistry.Health.SERVING) {
      state = WorkerStatus.State.EJECTED;
    } else {
      state = switch (snapshot.healthOf(e)) {
        case SERVING -> WorkerStatus.State.SERVING;
        case NOT_SERVING -> WorkerStatus.State.NOT_SERVING;
        case UNREACHABLE -> WorkerStatus.State.UNREACHABLE;
        case UNKNOWN -> WorkerStatus.State.STATE_UNSPECIFIED;
      };
    }
    return WorkerStatus.newBuilder()
        .setAddress(e.address())
        .setSource(e.source())
        .setState(state)
        .setInFlight(e.inFlight())
        .setCompleted(e.completed())
        .setFailures(e.failed())
        .setEjectedUntilUnixMs(ejected ? System.currentTimeMillis() + (e.ejectedUntilNanos() - now) / 1_000_000 : 0)
        .setEjections(e.ejections())
        .setReportedInFlight(e.reportedInFlight())
        .setReportedQueueDepth(e.reportedQueueDepth())
        .setOverloaded(e.isOverloaded(now))
        .setLatencyMs(Math.max(0, e.latencyNanos(now)) / 1e6)
        .addAllModels(e.models())
        .addAllServedModels(served(e.catalog()))
        .build();
  }

  private static List<ServedModel> served(ModelCatalog catalog) {
    if (catalog == null) {
      return List.of();
    }
    return catalog.names().stream().map(name -> ServedModel.newBuilder().setName(name)
        .setVersion(catalog.versionOf(name)).setIsDefault(name.equals(catalog.defaultModel())).build()).toList();
  }
}
