package imagerec.balancer.forwarding;

/**
 * Caps retries at a share of the calls, so that retries cannot multiply the load on workers that
 * are already failing (the retry-storm problem): every call deposits {@code ratio} of a token, a
 * retry spends a whole one. A small initial balance lets the first few failures after a quiet
 * period be retried. Thread-safe.
 */
final class RetryBudget {
  private final double ratio;
  private final double maxTokens;
  private double tokens;

  /**
   * @param ratio retries allowed per call, on average (0.2 = at most 20% extra load)
   * @param initialTokens retries allowed before any call has deposited
   * @param maxTokens the most that can be saved up
   */
  RetryBudget(double ratio, double initialTokens, double maxTokens) {
    this.ratio = ratio;
    this.tokens = initialTokens;
    this.maxTokens = maxTokens;
  }

  /** Records a call (not a retry). */
  synchronized void onCall() {
    tokens = Math.min(maxTokens, tokens + ratio);
  }

  /** Spends a token for a retry; false when the budget is used up. */
  synchronized boolean tryRetry() {
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
