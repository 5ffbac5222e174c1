package imagerec.balancer.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The workers the balancer knows, their health, and which of them are in rotation (healthy and
 * not drained).
 *
 * <p>Readers (every routed call) take {@link #snapshot()}, an immutable view published through a
 * volatile field, without locking. Writers (health changes, drains, membership) are serialized on
 * this object and publish a new snapshot. Listeners run on the writer's thread after each change.
 */
public final class WorkerRegistry {

  /** What a worker's health stream last said. */
  public enum Health { UNKNOWN, SERVING, NOT_SERVING, UNREACHABLE }

  /**
   * An immutable view.
   *
   * @param all every known worker, in the order they were added
   * @param healthy the workers in rotation: health SERVING and not drained
   * @param health each worker's last health
   * @param draining the drained workers
   */
  public record Snapshot(List<WorkerEndpoint> all, List<WorkerEndpoint> healthy,
                         Map<WorkerEndpoint, Health> health, Set<WorkerEndpoint> draining) {
    static final Snapshot EMPTY = new Snapshot(List.of(), List.of(), Map.of(), Set.of());

    /** Whether {@code endpoint} is in rotation. */
    public boolean isHealthy(WorkerEndpoint endpoint) {
      return healthy.contains(endpoint);
    }

    public Health healthOf(WorkerEndpoint endpoint) {
      return health.getOrDefault(endpoint, Health.UNKNOWN);
    }
  }

  private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
  private final List<WorkerEndpoint> all = new ArrayList<>();
  private final Map<WorkerEndpoint, Health> health = new HashMap<>();
  private final Set<WorkerEndpoint> draining = new HashSet<>();
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  public Snapshot snapshot() {
    return snapshot;
  }

  /** Adds a worker, out of rotation until its health is SERVING. */
  public synchronized void add(WorkerEndpoint endpoint) {
    if (!all.contains(endpoint)) {
      all.add(endpoint);
      health.put(endpoint, Health.UNKNOWN);
      publish();
    }
  }

  /** Removes a worker from rotation and from the list. */
  public synchronized void remove(WorkerEndpoint endpoint) {
    if (all.remove(endpoint)) {
      health.remove(endpoint);
      draining.remove(endpoint);
      publish();
    }
  }

  /** The known worker with this address. */
  public Optional<WorkerEndpoint> find(String address) {
    return snapshot.all().stream().filter(e -> e.address().equals(address)).findFirst();
  }

  /** Records a worker's health; returns true when it changed. */
  public synchronized boolean setHealth(WorkerEndpoint endpoint, Health newHealth) {
    if (!all.contains(endpoint) || health.get(endpoint) == newHealth) {
      return false;
    }
    health.put(endpoint, newHealth);
    publish();
    return true;
  }

  /** Drains a worker (no new calls) or puts it back; returns true when that changed its state. */
  public synchronized boolean setDraining(WorkerEndpoint endpoint, boolean drain) {
    if (!all.contains(endpoint)) {
      return false;
    }
    boolean changed = drain ? draining.add(endpoint) : draining.remove(endpoint);
    if (changed) {
      publish();
    }
    return changed;
  }

  /** Calls {@code listener} after every change, with the new snapshot. */
  public void addListener(Consumer<Snapshot> listener) {
    listeners.add(listener);
  }

  private void publish() {
    List<WorkerEndpoint> inRotation = all.stream()
        .filter(e -> health.get(e) == Health.SERVING && !draining.contains(e)).toList();
    Snapshot next = new Snapshot(List.copyOf(all), inRotation, Map.copyOf(health), Set.copyOf(draining));
    snapshot = next;
    listeners.forEach(l -> l.accept(next));
  }
}
