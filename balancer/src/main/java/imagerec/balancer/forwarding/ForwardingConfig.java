package imagerec.balancer.forwarding;

/**
 * How calls are forwarded: retries, the balancer's own admission limit, and how many items of a
 * client's stream are at the workers at once.
 *
 * @param maxAttempts attempts per call, each on another worker (1 = no retry)
 * @param retryBudgetRatio retries allowed per call on average (0.2 = at most 20% extra load)
 * @param maxInFlight calls forwarded at once; past it, RESOURCE_EXHAUSTED
 * @param streamWindow items of one client stream at the workers at once
 */
public record ForwardingConfig(int maxAttempts, double retryBudgetRatio, int maxInFlight, int streamWindow) {
  /** The balancer's defaults. */
  public static final ForwardingConfig DEFAULT = new ForwardingConfig(3, 0.2, 10_000, 64);

  public ForwardingConfig {
    if (maxAttempts < 1 || streamWindow < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("--max-attempts, --stream-window and --max-in-flight must be at least 1");
    }
    if (!(retryBudgetRatio >= 0)) {
      throw new IllegalArgumentException("--retry-budget must not be negative");
    }
  }
}
