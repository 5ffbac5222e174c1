package imagerec.balancer.routing;

import java.time.Duration;

/**
 * Which worker gets a call: the picking policy, and when a failing worker is ejected.
 *
 * @param policy how a worker is chosen among the healthy ones
 * @param ejectAfterFailures consecutive failures that eject a worker
 * @param baseEjection the first ejection's length; each further one doubles, up to {@code maxEjection}
 * @param maxEjection the longest ejection
 * @param maxEjectedShare the largest share of workers ejected at once, 0..1
 */
public record RoutingConfig(Picker.Policy policy, int ejectAfterFailures, Duration baseEjection,
                            Duration maxEjection, double maxEjectedShare) {
  /** The balancer's defaults. */
  public static final RoutingConfig DEFAULT = new RoutingConfig(Picker.Policy.LEAST_LATENCY, 5,
      Duration.ofSeconds(5), Duration.ofMinutes(5), 0.5);

  public RoutingConfig {
    if (ejectAfterFailures < 1) {
      throw new IllegalArgumentException("--eject-after-failures must be at least 1");
    }
    if (maxEjectedShare < 0 || maxEjectedShare > 1) {
      throw new IllegalArgumentException("--max-ejected-percent must be 0..100");
    }
    if (baseEjection.toMillis() < 1 || maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("--ejection-ms must be at least 1 and at most --max-ejection-ms");
    }
  }
}
