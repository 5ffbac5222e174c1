package imagerec.balancer.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class DnsDiscoveryTest {
  private final Map<String, List<String>> dns = new ConcurrentHashMap<>();
  private final List<String> events = new ArrayList<>();
  private final Membership membership = new Membership() {
    @Override
    public void add(String address, String source) {
      events.add("+" + address + " " + source);
    }

    @Override
    public void remove(String address, String source) {
      events.add("-" + address + " " + source);
    }
  };

  private final DnsDiscovery discovery = new DnsDiscovery(List.of("workers:50061"), host -> {
    List<String> ips = dns.get(host);
    if (ips == null) {
      throw new UnknownHostException(host);
    }
    return ips;
  }, membership);

  @Test
  void everyAddressOfANameIsAWorkerAndChangesAreApplied() {
    dns.put("workers", List.of("10.0.0.1", "10.0.0.2"));
    discovery.refresh();
    assertEquals(List.of("+10.0.0.1:50061 dns:workers:50061", "+10.0.0.2:50061 dns:workers:50061"),
        events.stream().sorted().toList());
    events.clear();

    dns.put("workers", List.of("10.0.0.2", "10.0.0.3")); // scaled: one replaced
    discovery.refresh();
    assertEquals(List.of("+10.0.0.3:50061 dns:workers:50061", "-10.0.0.1:50061 dns:workers:50061"),
        events.stream().sorted().toList());
    events.clear();

    discovery.refresh();
    assertEquals(List.of(), events, "nothing changes when the answer does not");
  }

  @Test
  void anIPv6AddressBecomesAWorkerAddressInBrackets() {
    dns.put("workers", List.of("fd00::7"));
    discovery.refresh();
    assertEquals(List.of("+[fd00::7]:50061 dns:workers:50061"), events);
  }

  @Test
  void aFailedLookupKeepsTheWorkersItFoundBefore() {
    dns.put("workers", List.of("10.0.0.1"));
    discovery.refresh();
    events.clear();
    dns.remove("workers");
    discovery.refresh();
    assertEquals(List.of(), events);
  }
}
