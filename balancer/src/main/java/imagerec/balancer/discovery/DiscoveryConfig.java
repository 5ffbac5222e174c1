package imagerec.balancer.discovery;

import imagerec.grpc.HostPort;
import java.time.Duration;
import java.util.List;

/**
 * Where the balancer finds its workers besides their own registrations.
 *
 * @param workers static worker addresses: host:port on the network (an IPv6 host in brackets), any
 *     name the balancer's channel factory knows in tests
 * @param names DNS names (name:port) whose every address is a worker, re-resolved every {@code interval}
 * @param interval how often {@code names} are resolved again
 * @param catalogInterval how often each worker is asked which models and versions it serves
 *     (besides when it turns SERVING or registers): it bounds how long routing and the response
 *     cache go on with a version a worker has replaced
 */
public record DiscoveryConfig(List<String> workers, List<String> names, Duration interval, Duration catalogInterval) {
  public DiscoveryConfig {
    workers = List.copyOf(workers);
    names = List.copyOf(names);
    names.forEach(name -> HostPort.parse(name, "--discover"));
    if (interval.compareTo(Duration.ofMillis(100)) < 0 || catalogInterval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("--discovery-interval-ms and --catalog-interval-ms must be at least 100");
    }
  }

  /** These static workers only. */
  public static DiscoveryConfig of(List<String> workers) {
    return new DiscoveryConfig(workers, List.of(), Duration.ofSeconds(5), Duration.ofSeconds(2));
  }
}
