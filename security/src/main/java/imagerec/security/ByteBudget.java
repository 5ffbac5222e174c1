package imagerec.security;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on the request bytes a process holds at once (images received and not yet answered),
 * so that no mix of traffic can grow its memory past {@code max}: a request that does not fit is
 * refused before anything is done with it. One request alone always fits (the message size limit
 * bounds it). Thread-safe, lock-free.
 */
public final class ByteBudget {
  private final long max;
  private final AtomicLong held = new AtomicLong();

  /** @param max bytes held at once */
  public ByteBudget(long max) {
    if (max < 1) {
      throw new IllegalArgumentException("a byte budget must be positive: " + max);
    }
    this.max = max;
  }

  /** Takes {@code size} bytes; false, taking nothing, when they do not fit. */
  public boolean tryHold(long size) {
    long now = held.addAndGet(size);
    if (now > max && now != size) {
      held.addAndGet(-size);
      return false;
    }
    return true;
  }

  /** Gives back bytes taken by {@link #tryHold(long)}. */
  public void release(long size) {
    held.addAndGet(-size);
  }

  /** Bytes held now. */
  public long held() {
    return held.get();
  }

  /** The bound. */
  public long max() {
    return max;
  }

  /** The default bound of a process: half its heap. */
  public static long halfTheHeap() {
    return Runtime.getRuntime().maxMemory() / 2;
  }
}
