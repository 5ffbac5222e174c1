package imagerec.balancer.cache;

import java.time.Duration;
import java.util.Locale;

/**
 * The balancer's response cache: its bound in bytes (0: no cache) and the longest an answer is
 * kept.
 *
 * @param maxBytes bytes the cache may hold, its keys and per-entry overhead included; 0 turns it off
 * @param ttl how long an answer is kept after it was computed (zero: until evicted)
 */
public record CacheConfig(long maxBytes, Duration ttl) {
  /** No cache. */
  public static final CacheConfig OFF = new CacheConfig(0, Duration.ZERO);

  public CacheConfig {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("--cache-bytes must not be negative");
    }
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("--cache-ttl must not be negative");
    }
  }

  public boolean enabled() {
    return maxBytes > 0;
  }

  /**
   * A size as the command line writes it: plain bytes, or with a k, m or g suffix (powers of 1024),
   * as {@code 256m}.
   */
  public static long parseSize(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    long unit = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      case 'g' -> 1L << 30;
      default -> 1;
    };
    String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
    try {
      long value = Long.parseLong(digits);
      if (value < 0 || value > Long.MAX_VALUE / unit) {
        throw new NumberFormatException();
      }
      return value * unit;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a size (bytes, or a number with k, m or g: 256m)");
    }
  }
}
