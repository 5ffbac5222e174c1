package imagerec.balancer;

import imagerec.testing.Ports;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.cache.CacheConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
import imagerec.server.PortBindException;
import imagerec.server.ServerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A balancer on real ports: constructing opens nothing, and a start that fails closes what it opened. */
class BalancerLifecycleTest {
  private static final ConnectionLimits LIMITS = new ConnectionLimits(1 << 20, 100, Duration.ZERO, Duration.ofMinutes(1));

  private static BalancerConfig config(int port, int adminPort, int httpPort, int metricsPort) {
    return new BalancerConfig(
        new ServerConfig("127.0.0.1", port, null, Duration.ZERO, 1L << 30, LIMITS,
            new MetricsConfig("127.0.0.1", metricsPort, null), false, imagerec.security.TlsConfig.OFF, null, true),
        DiscoveryConfig.of(List.of("127.0.0.1:1")), RoutingConfig.DEFAULT, ForwardingConfig.DEFAULT, CacheConfig.OFF,
        new AdminConfig("127.0.0.1", adminPort, null, null),
        new HttpConfig("127.0.0.1", httpPort, Duration.ofSeconds(5), 2, null), WorkerChannelConfig.PLAINTEXT, 1);
  }

  @Test
  void creatingBindsNothing() throws Exception {
    int port = Ports.free();
    int adminPort = Ports.free();
    BalancerServer balancer = BalancerServer.create(config(port, adminPort, 0, 0));
    try {
      Ports.assertBindable(port);
      Ports.assertBindable(adminPort);
    } finally {
      balancer.close();
    }
    assertEquals(0, liveThreads("balancer-io"), "event loops stopped by close() of a balancer never started");
  }

  @Test
  void aTakenMetricsPortClosesTheServersAlreadyListening() throws Exception {
    try (ServerSocket taken = Ports.listen(0)) {
      int port = Ports.free();
      int adminPort = Ports.free();
      int httpPort = Ports.free();
      BalancerServer balancer = BalancerServer.create(config(port, adminPort, httpPort, taken.getLocalPort()));
      PortBindException e = assertThrows(PortBindException.class, balancer::start);
      assertEquals("--metrics-port", e.option());
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
      Ports.assertBindable(port);
      Ports.assertBindable(adminPort);
      Ports.assertBindable(httpPort);
      assertEquals(0, liveThreads("balancer-io"), "event loops stopped");
      assertEquals(0, liveThreads("balancer-scheduler"), "scheduler stopped");
    }
  }

  @Test
  void eachTakenPortIsNamedByItsOption() throws Exception {
    try (ServerSocket taken = Ports.listen(0)) {
      int t = taken.getLocalPort();
      assertEquals("--port", failedStart(config(t, 0, 0, 0)).option());
      assertEquals("--admin-port", failedStart(config(0, t, 0, 0)).option());
      assertEquals("--http-port", failedStart(config(0, 0, t, 0)).option());
    }
  }

  private static PortBindException failedStart(BalancerConfig config) throws IOException {
    BalancerServer balancer = BalancerServer.create(config);
    return assertThrows(PortBindException.class, balancer::start);
  }

  private static long liveThreads(String prefix) throws InterruptedException {
    long until = System.nanoTime() + 5_000_000_000L;
    long n;
    do {
      n = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
      if (n > 0) {
        Thread.sleep(20);
      }
    } while (n > 0 && System.nanoTime() < until);
    return n;
  }
}
