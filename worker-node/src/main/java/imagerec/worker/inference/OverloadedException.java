package imagerec.worker.inference;

import java.time.Duration;

/** The worker cannot take more work now; the caller should retry after {@link #retryAfter()}. */
public final class OverloadedException extends RuntimeException {
  private final Duration retryAfter;

  public OverloadedException(String message, Duration retryAfter) {
    super(message, null, false, false);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
