package imagerec.balancer.discovery;

import imagerec.grpc.HostPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds workers behind DNS names, re-resolved periodically: each {@code name:port} may resolve to
 * many addresses (a Kubernetes headless service, a scaled compose service), and every address is a
 * worker. Addresses that appear are added, addresses that disappear are removed; a failed lookup
 * changes nothing. Runs on the given scheduler (owned by the caller).
 */
public final class DnsDiscovery {
  private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

  /** Resolves a host name to IP address strings, an IPv6 address without brackets (replaced in tests). */
  @FunctionalInterface
  public interface Resolver {
    List<String> resolve(String host) throws UnknownHostException;
  }

  /** The system resolver (the JVM caches answers for 30 s by default; see networkaddress.cache.ttl). */
  public static final Resolver SYSTEM = host -> Arrays.stream(InetAddress.getAllByName(host))
      .map(InetAddress::getHostAddress).toList();

  private final List<HostPort> names;
  private final Resolver resolver;
  private final Membership membership;
  private final Map<HostPort, Set<String>> known = new HashMap<>();

  /** @param names host:port entries to resolve */
  public DnsDiscovery(List<String> names, Resolver resolver, Membership membership) {
    this.names = names.stream().map(name -> HostPort.parse(name, "--discover")).toList();
    this.resolver = resolver;
    this.membership = membership;
  }

  /** Resolves now, then every {@code interval}. */
  public void start(ScheduledExecutorService scheduler, Duration interval) {
    scheduler.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Resolves every name once and applies the differences. */
  public synchronized void refresh() {
    for (HostPort name : names) {
      Set<String> addresses;
      try {
        addresses = resolver.resolve(name.host()).stream()
            .map(ip -> new HostPort(ip, name.port()).toString()).collect(Collectors.toSet());
      } catch (UnknownHostException | RuntimeException e) {
        log.warn("cannot resolve {}: {}; keeping {}", name, e.toString(), known.getOrDefault(name, Set.of()));
        continue;
      }
      String source = "dns:" + name;
      Set<String> before = known.getOrDefault(name, Set.of());
      for (String address : addresses) {
        if (!before.contains(address)) {
          log.info("{} resolves to new worker {}", name, address);
          membership.add(address, source);
        }
      }
      for (String address : before) {
        if (!addresses.contains(address)) {
          log.info("{} no longer resolves to {}; removing it", name, address);
          membership.remove(address, source);
        }
      }
      known.put(name, new HashSet<>(addresses));
    }
  }
}
