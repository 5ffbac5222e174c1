package imagerec.balancer.registry;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The workers the balancer knows and which of them are healthy.
 *
 * <p>Readers (every routed call) take {@link #snapshot()}, an immutable view published through a
 * volatile field, without locking. Writers (health changes, membership) are serialized on this
 * object and publish a new snapshot. Listeners run on the writer's thread after each change.
 */
public final class WorkerRegistry {

  /** An immutable view: every known worker, and the healthy ones among them. */
  public record Snapshot(List<WorkerEndpoint> all, List<WorkerEndpoint> healthy) {
    static final Snapshot EMPTY = new Snapshot(List.of(), List.of());

    public boolean isHealthy(WorkerEndpoint endpoint) {
      return healthy.contains(endpoint);
    }
  }

  private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
  private final Set<WorkerEndpoint> healthy = new HashSet<>();
  private final List<WorkerEndpoint> all = new ArrayList<>();
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  public Snapshot snapshot() {
    return snapshot;
  }

  /** Adds a worker, not yet healthy. */
  public synchronized void add(WorkerEndpoint endpoint) {
    if (!all.contains(endpoint)) {
      all.add(endpoint);
      publish();
    }
  }

  /** Removes a worker from rotation and from the list. */
  public synchronized void remove(WorkerEndpoint endpoint) {
    if (all.remove(endpoint)) {
      healthy.remove(endpoint);
      publish();
    }
  }

  /** Marks a worker healthy or not; returns true when that changed its state. */
  public synchronized boolean setHealthy(WorkerEndpoint endpoint, boolean isHealthy) {
    if (!all.contains(endpoint)) {
      return false;
    }
    boolean changed = isHealthy ? healthy.add(endpoint) : healthy.remove(endpoint);
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
    List<WorkerEndpoint> up = all.stream().filter(healthy::contains).toList();
    Snapshot next = new Snapshot(List.copyOf(all), up);
    snapshot = next;
    listeners.forEach(l -> l.accept(next));
  }
}
