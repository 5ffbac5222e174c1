package imagerec.balancer.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Calls in flight by key, for coalescing: the first caller of a key leads (it calls a worker),
 * identical calls arriving meanwhile wait for its outcome. Caffeine's own loading would share the
 * leader's failure with every waiter; here the leader hands its outcome to the waiters and each
 * decides (see {@code CachedCall}). Thread-safe.
 *
 * @param <W> a waiting call
 */
public final class InFlightCalls<W> {
  private final ConcurrentHashMap<CacheKey, List<W>> calls = new ConcurrentHashMap<>();

  /** Leads {@code key} when no identical call is in flight (true), or waits behind the one that is. */
  public boolean leadOrWait(CacheKey key, W waiter) {
    boolean[] leads = {false};
    calls.compute(key, (k, waiters) -> {
      if (waiters == null) {
        leads[0] = true;
        return new ArrayList<>();
      }
      waiters.add(waiter);
      return waiters;
    });
    return leads[0];
  }

  /** {@code waiter} no longer waits (its caller went away). */
  public void leave(CacheKey key, W waiter) {
    calls.computeIfPresent(key, (k, waiters) -> {
      waiters.remove(waiter);
      return waiters;
    });
  }

  /** The leader of {@code key} is done: the key is free again, and these were waiting. */
  public List<W> finish(CacheKey key) {
    List<W> waiters = calls.remove(key);
    return waiters == null ? List.of() : waiters;
  }

  /** Keys with a call in flight. */
  public int size() {
    return calls.size();
  }
}
