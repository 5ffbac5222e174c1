package imagerec.balancer.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.v1.RecognizeRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The cache itself: its bound in bytes, entries' age, dropping versions, and the request digest. */
class ResponseCacheTest {
  private final AtomicLong nanos = new AtomicLong();

  private ResponseCache cache(long maxBytes, Duration ttl) {
    return new ResponseCache(new CacheConfig(maxBytes, ttl), nanos::get, Runnable::run);
  }

  private static CacheKey key(String model, String version, int n) {
    return new CacheKey("Recognize", model, version, ByteString.copyFromUtf8(String.format("%032d", n)));
  }

  @Test
  void theBoundCountsKeysAndOverheadNotJustAnswers() {
    ResponseCache cache = cache(100_000, Duration.ZERO);
    byte[] small = new byte[10];
    for (int i = 0; i < 10_000; i++) {
      cache.put(key("m", "1", i), small);
    }
    cache.cleanUp();
    ResponseCache.Stats s = cache.stats();
    assertTrue(s.bytes() <= 100_000, "held " + s.bytes());
    int perEntry = ResponseCache.weight(key("m", "1", 0), small);
    assertTrue(perEntry > 10 + ResponseCache.ENTRY_OVERHEAD, "an entry weighs its key and overhead: " + perEntry);
    assertTrue(s.entries() <= 100_000 / perEntry, s.entries() + " entries of " + perEntry + " bytes");
    assertTrue(s.evictions() >= 10_000 - 100_000 / perEntry, "evicted " + s.evictions());
  }

  @Test
  void hitsMissesAndAge() {
    ResponseCache cache = cache(1 << 20, Duration.ofSeconds(10));
    byte[] answer = {1, 2, 3};
    assertNull(cache.get(key("m", "1", 1)));
    cache.put(key("m", "1", 1), answer);
    assertArrayEquals(answer, cache.get(key("m", "1", 1)));
    assertNull(cache.get(key("m", "2", 1)), "another version is another key");
    nanos.addAndGet(Duration.ofSeconds(11).toNanos());
    assertNull(cache.get(key("m", "1", 1)), "older than --cache-ttl");
    ResponseCache.Stats s = cache.stats();
    assertEquals(1, s.hits());
    assertEquals(3, s.misses());
  }

  @Test
  void retainDropsTheVersionsNoWorkerServesAndClearDropsAll() {
    ResponseCache cache = cache(1 << 20, Duration.ZERO);
    cache.put(key("m", "1", 1), new byte[1]);
    cache.put(key("m", "2", 2), new byte[1]);
    cache.put(key("other", "1", 3), new byte[1]);
    cache.retain((model, version) -> !(model.equals("m") && version.equals("1")));
    assertNull(cache.get(key("m", "1", 1)));
    assertNotNull(cache.get(key("m", "2", 2)));
    assertNotNull(cache.get(key("other", "1", 3)));
    assertEquals(2, cache.clear());
    assertNull(cache.get(key("other", "1", 3)));
  }

  @Test
  void theDigestLeavesOutTheRequestIdAndModelOnly() {
    byte[] a = RecognizeRequest.newBuilder().setRequestId("a").setModel("m").setTopK(3)
        .setImage(ByteString.copyFromUtf8("image")).build().toByteArray();
    byte[] b = RecognizeRequest.newBuilder().setRequestId("another").setTopK(3)
        .setImage(ByteString.copyFromUtf8("image")).build().toByteArray();
    byte[] otherTopK = RecognizeRequest.newBuilder().setRequestId("a").setTopK(4)
        .setImage(ByteString.copyFromUtf8("image")).build().toByteArray();
    byte[] otherImage = RecognizeRequest.newBuilder().setRequestId("a").setTopK(3)
        .setImage(ByteString.copyFromUtf8("imagf")).build().toByteArray();
    int[] skipped = {RecognizeRequest.REQUEST_ID_FIELD_NUMBER, RecognizeRequest.MODEL_FIELD_NUMBER};
    assertEquals(RequestDigest.of(a, skipped), RequestDigest.of(b, skipped));
    for (byte[] other : List.of(otherTopK, otherImage)) {
      assertTrue(!RequestDigest.of(a, skipped).equals(RequestDigest.of(other, skipped)));
    }
    assertNull(RequestDigest.of(new byte[] {(byte) 0x0a, 0x7f}, skipped), "not a message: not cached");
  }

  @Test
  void sizesTakeSuffixes() {
    assertEquals(256L << 20, CacheConfig.parseSize("256m"));
    assertEquals(2L << 30, CacheConfig.parseSize("2G"));
    assertEquals(1000, CacheConfig.parseSize("1000"));
    assertThrows(IllegalArgumentException.class, () -> CacheConfig.parseSize("lots"));
    assertThrows(IllegalArgumentException.class, () -> CacheConfig.parseSize("-1k"));
  }
}
