package imagerec.balancer.metrics;

import imagerec.balancer.cache.ResponseCache;
import imagerec.balancer.forwarding.ForwardingObserver;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The balancer's own meters (listed in docs/OPERATIONS.md):
 * <ul>
 *   <li>{@code imagerec_balancer_forwarded_total{worker,status}} and
 *       {@code imagerec_balancer_forward_duration_seconds{worker}}: attempts on each worker (a unary
 *       call or one stream item each), by status, and their latency;
 *   <li>{@code imagerec_balancer_retries_total{reason}}, {@code imagerec_balancer_rejected_total}
 *       (own in-flight limit);
 *   <li>{@code imagerec_balancer_worker_in_flight{worker}},
 *       {@code imagerec_balancer_worker_routing_latency_seconds{worker}}, {@code imagerec_balancer_ejections_total{worker}},
 *       {@code imagerec_balancer_worker_up{worker}} (1 while in rotation);
 *   <li>{@code imagerec_balancer_health_changes_total{worker,state}}, {@code imagerec_balancer_workers{state}}.
 * </ul>
 * Per-worker series appear when a worker is added and are removed with it, so workers that come
 * and go (pods) do not pile up series. Thread-safe.
 */
public final class BalancerMetrics implements ForwardingObserver {
  private final MeterRegistry registry;
  private final Map<WorkerEndpoint, WorkerMeters> workers = new ConcurrentHashMap<>();
  private final Map<Status.Code, Counter> retries = new ConcurrentHashMap<>();
  private final Counter rejected;
  private volatile WorkerRegistry.Snapshot last;

  public BalancerMetrics(MeterRegistry registry, WorkerRegistry workerRegistry) {
    this.registry = registry;
    rejected = Counter.builder("imagerec.balancer.rejected")
        .description("calls refused with RESOURCE_EXHAUSTED at the balancer's own in-flight limit")
        .register(registry);
    for (WorkerRegistry.Health health : WorkerRegistry.Health.values()) {
      Gauge.builder("imagerec.balancer.workers", workerRegistry,
              r -> r.snapshot().all().stream().filter(e -> r.snapshot().healthOf(e) == health).count())
          .description("known workers by health").tag("state", health.name()).register(registry);
    }
    Gauge.builder("imagerec.balancer.workers.in.rotation", workerRegistry, r -> r.snapshot().healthy().size())
        .description("workers healthy and not drained").register(registry);
    last = workerRegistry.snapshot();
    workerRegistry.addListener(this::onChange);
  }

  /** The response cache's figures: hits, misses, coalesced waits, evictions (counters), entries and bytes held. */
  public void watch(ResponseCache cache) {
    FunctionCounter.builder("imagerec.balancer.cache.hits", cache, c -> c.stats().hits())
        .description("calls answered from the response cache").register(registry);
    FunctionCounter.builder("imagerec.balancer.cache.misses", cache, c -> c.stats().misses())
        .description("cacheable calls not found in the response cache").register(registry);
    FunctionCounter.builder("imagerec.balancer.cache.coalesced", cache, c -> c.stats().coalesced())
        .description("calls answered by an identical call in flight").register(registry);
    FunctionCounter.builder("imagerec.balancer.cache.evictions", cache, c -> c.stats().evictions())
        .description("answers dropped to keep the response cache within its bound").register(registry);
    Gauge.builder("imagerec.balancer.cache.entries", cache, c -> c.stats().entries())
        .description("answers held in the response cache").register(registry);
    Gauge.builder("imagerec.balancer.cache.bytes", cache, c -> c.stats().bytes()).baseUnit("bytes")
        .description("bytes held in the response cache, keys and per-entry overhead included").register(registry);
  }

  private synchronized void onChange(WorkerRegistry.Snapshot next) {
    for (WorkerEndpoint endpoint : next.all()) {
      workers.computeIfAbsent(endpoint, WorkerMeters::new);
    }
    for (WorkerEndpoint gone : new ArrayList<>(workers.keySet())) {
      if (!next.all().contains(gone)) {
        workers.remove(gone).remove();
      }
    }
    for (WorkerEndpoint endpoint : next.all()) {
      WorkerRegistry.Health before = last.all().contains(endpoint) ? last.healthOf(endpoint) : null;
      WorkerRegistry.Health now = next.healthOf(endpoint);
      if (before != null && before != now) {
        workers.get(endpoint).healthChanged(now);
      }
    }
    last = next;
  }

  @Override
  public void attemptEnded(WorkerEndpoint worker, Status.Code code, long nanos) {
    WorkerMeters meters = workers.get(worker);
    if (meters != null) { // null once the worker is removed while a call on it ends
      meters.forwarded(code).increment();
      meters.latency.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void retried(Status.Code code) {
    retries.computeIfAbsent(code, c -> Counter.builder("imagerec.balancer.retries")
        .description("calls tried again on another worker, by the failure that caused it")
        .tag("reason", c.name()).register(registry)).increment();
  }

  @Override
  public void rejected() {
    rejected.increment();
  }

  /** Calls as clients see them are gRPC's own server meters; nothing more to count here. */
  @Override
  public void callEnded(String method, Status.Code code, long nanos) {
  }

  /** A worker's meters; counters by status are made at first use. */
  private final class WorkerMeters {
    final java.util.Set<Meter> meters = ConcurrentHashMap.newKeySet();
    final Map<Status.Code, Counter> forwarded = new ConcurrentHashMap<>();
    final Tags tags;
    final Timer latency;

    WorkerMeters(WorkerEndpoint worker) {
      tags = Tags.of("worker", worker.address());
      forwarded(Status.Code.OK);
      latency = add(Timer.builder("imagerec.balancer.forward.duration")
          .description("time from forwarding an attempt to its end").tags(tags).register(registry));
      add(Gauge.builder("imagerec.balancer.worker.in.flight", worker, WorkerEndpoint::inFlight)
          .description("calls the balancer has in progress on the worker").tags(tags).register(registry));
      add(Gauge.builder("imagerec.balancer.worker.routing.latency", worker,
              w -> Math.max(0, w.latencyNanos(System.nanoTime())) / 1e9)
          .description("the worker's recent call latency as least-latency routing estimates it (0 before any answer)")
          .baseUnit("seconds").tags(tags).register(registry));
      add(FunctionCounter.builder("imagerec.balancer.ejections", worker, WorkerEndpoint::ejections)
          .description("times the worker was ejected after consecutive failures").tags(tags).register(registry));
      add(Gauge.builder("imagerec.balancer.worker.up", worker, w -> last.isHealthy(w) ? 1 : 0)
          .description("1 while the worker is in rotation").tags(tags).register(registry));
    }

    private <M extends Meter> M add(M meter) {
      meters.add(meter);
      return meter;
    }

    Counter forwarded(Status.Code code) {
      return forwarded.computeIfAbsent(code, c -> add(Counter.builder("imagerec.balancer.forwarded")
          .description("attempts forwarded to a worker, by status").tags(tags).tag("status", c.name())
          .register(registry)));
    }

    void healthChanged(WorkerRegistry.Health now) {
      add(Counter.builder("imagerec.balancer.health.changes").description("changes of a worker's health, by the new state")
          .tags(tags).tag("state", now.name()).register(registry)).increment();
    }

    void remove() {
      meters.forEach(registry::remove);
    }
  }
}
