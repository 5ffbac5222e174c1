package imagerec.balancer.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiPredicate;

/**
 * Workers' answers kept by the balancer, by {@link CacheKey}: bounded by bytes with Caffeine
 * (W-TinyLFU admission and eviction), each answer kept at most the configured time. The weight of
 * an entry is its answer, its key and {@link #ENTRY_OVERHEAD}, so the bound holds for many small
 * answers too. Counts hits, misses, coalesced waits and evictions. Thread-safe.
 */
public final class ResponseCache {
  /**
   * Bytes an entry costs beyond its key's and answer's contents, estimated from the objects one
   * holds (Caffeine's node and its map entry, the key record, its strings and ByteString, array
   * headers) and rounded up; the bound on the heap is checked end to end by a test that fills the
   * cache with unique images.
   */
  static final int ENTRY_OVERHEAD = 256;

  private final Cache<CacheKey, byte[]> entries;
  private final long maxBytes;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder coalesced = new LongAdder();
  private final LongAdder evictions = new LongAdder();

  public ResponseCache(CacheConfig config) {
    this(config, Ticker.systemTicker(), null);
  }

  /**
   * @param ticker the clock of the entries' age (a fake one in tests)
   * @param executor where Caffeine does its upkeep (null: the common pool; a direct one in tests)
   */
  ResponseCache(CacheConfig config, Ticker ticker, Executor executor) {
    this.maxBytes = config.maxBytes();
    Caffeine<CacheKey, byte[]> builder = Caffeine.newBuilder()
        .maximumWeight(config.maxBytes())
        .weigher((CacheKey key, byte[] answer) -> weight(key, answer))
        .ticker(ticker)
        .removalListener((key, answer, cause) -> {
          if (cause.wasEvicted()) {
            evictions.increment();
          }
        });
    if (!config.ttl().isZero()) {
      builder.expireAfterWrite(config.ttl());
    }
    if (executor != null) {
      builder.executor(executor);
    }
    this.entries = builder.build();
  }

  static int weight(CacheKey key, byte[] answer) {
    return (int) Math.min(Integer.MAX_VALUE, (long) key.bytes() + answer.length + ENTRY_OVERHEAD);
  }

  /** The answer kept for {@code key}, or null; counts a hit or a miss. */
  public byte[] get(CacheKey key) {
    byte[] answer = entries.getIfPresent(key);
    (answer != null ? hits : misses).increment();
    return answer;
  }

  public void put(CacheKey key, byte[] answer) {
    entries.put(key, answer);
  }

  /** Counts a call answered by an identical call that was in flight. */
  public void coalesced() {
    coalesced.increment();
  }

  /**
   * Drops every answer whose model and version {@code served} says no worker serves any more: after
   * a hot reload the old version's answers go at once, not when they age out.
   */
  public void retain(BiPredicate<String, String> served) {
    entries.asMap().keySet().removeIf(key -> !served.test(key.model(), key.version()));
  }

  /** Drops every answer; returns how many there were. */
  public long clear() {
    long n = entries.estimatedSize();
    entries.invalidateAll();
    return n;
  }

  /** Runs Caffeine's pending upkeep now (evictions, expiries); for tests and exact statistics. */
  public void cleanUp() {
    entries.cleanUp();
  }

  /** The figures of the cache at this moment. */
  public Stats stats() {
    long bytes = entries.policy().eviction().flatMap(e -> e.weightedSize().stream().boxed().findFirst()).orElse(0L);
    return new Stats(hits.sum(), misses.sum(), coalesced.sum(), evictions.sum(), entries.estimatedSize(), bytes,
        maxBytes);
  }

  /**
   * @param hits calls answered from the cache
   * @param misses calls looked up and not found (each went to a worker, or waited for one that had)
   * @param coalesced calls answered by an identical call in flight
   * @param evictions answers dropped to stay within the bound
   * @param entries answers held
   * @param bytes bytes held, as weighed
   * @param maxBytes the bound
   */
  public record Stats(long hits, long misses, long coalesced, long evictions, long entries, long bytes,
                      long maxBytes) {}
}
