package imagerec.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.cache.CacheConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
import imagerec.server.PortBindException;
import imagerec.server.ServerConfig;
import imagerec.testing.Await;
import imagerec.testing.FakeWorker;
import imagerec.testing.Ports;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A balancer on real ports: constructing opens nothing, a start that fails closes what it opened,
 * and a stop lets what is in flight finish.
 */
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

  @Test
  void aStopGivesHttpUploadsInFlightTheGracePeriodAndRefusesNewOnes() throws Exception {
    try (InProcessBalancer cluster = new InProcessBalancer(1)) {
      cluster.start(new BalancerConfig(ServerConfig.ephemeral("127.0.0.1", LIMITS).withShutdownGrace(Duration.ofSeconds(30)),
          DiscoveryConfig.of(cluster.workerNames()), RoutingConfig.DEFAULT, ForwardingConfig.DEFAULT, CacheConfig.OFF,
          AdminConfig.SHARED, new HttpConfig("127.0.0.1", 0, Duration.ofSeconds(30), 2, null),
          WorkerChannelConfig.PLAINTEXT, 1));
      FakeWorker worker = cluster.workers.get(0);
      Await.until(() -> cluster.balancer.registry().snapshot().healthy().size() == 1, Duration.ofSeconds(10),
          "the worker is healthy");
      HttpClient http = HttpClient.newHttpClient();
      CompletableFuture<HttpResponse<String>> held = http.sendAsync(upload(cluster, "hold"), BodyHandlers.ofString());
      Await.until(() -> worker.calls.get() == 1, Duration.ofSeconds(10), "the held upload reached the worker");

      long stopping = System.nanoTime();
      Thread stopper = new Thread(cluster.balancer::close);
      stopper.start();
      Await.until(() -> {
        try {
          return http.send(upload(cluster, "other"), BodyHandlers.ofString()).statusCode() == 503;
        } catch (IOException e) {
          throw new AssertionError("a new upload during the stop got no answer", e);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }, Duration.ofSeconds(10), "a new upload is answered 503 while the balancer stops");
      assertFalse(held.isDone(), "the upload in flight is still waiting for its worker");

      worker.release.countDown();
      HttpResponse<String> answer = held.get(10, TimeUnit.SECONDS);
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains(worker.name), answer.body());
      stopper.join(10_000);
      assertFalse(stopper.isAlive(), "the stop ends once the upload is answered");
      assertTrue(System.nanoTime() - stopping < Duration.ofSeconds(20).toNanos(), "not the whole grace period");
    }
  }

  private static HttpRequest upload(InProcessBalancer cluster, String model) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.balancer.httpPort() + "/v1/recognize?model=" + model))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3})).build();
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
