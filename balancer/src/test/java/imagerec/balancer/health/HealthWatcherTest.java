package imagerec.balancer.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.testing.Await;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Health tracking against an in-process health server that changes status, dies and returns. */
class HealthWatcherTest {
  private static final String SERVICE = "imagerec.v1.Recognizer";

  private final String name = InProcessServerBuilder.generateName();
  private final WorkerRegistry registry = new WorkerRegistry();
  private final List<String> transitions = new ArrayList<>();
  private ScheduledExecutorService scheduler;
  private HealthStatusManager health;
  private Server server;
  private ManagedChannel channel;
  private HealthWatcher watcher;
  private WorkerEndpoint endpoint;

  @BeforeEach
  void start() throws Exception {
    startServer(ServingStatus.NOT_SERVING);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    channel = InProcessChannelBuilder.forName(name).build();
    endpoint = new WorkerEndpoint(name, "static", channel);
    registry.add(endpoint);
    registry.addListener(s -> {
      synchronized (transitions) {
        transitions.add(s.healthy().isEmpty() ? "down" : "up");
      }
    });
    watcher = new HealthWatcher(registry, SERVICE, scheduler, Duration.ofMillis(20), Duration.ofMillis(200));
    watcher.watch(endpoint);
  }

  private void startServer(ServingStatus status) throws Exception {
    health = new HealthStatusManager();
    health.setStatus(SERVICE, status);
    server = InProcessServerBuilder.forName(name).addService(health.getHealthService()).build().start();
  }

  @AfterEach
  void stop() {
    watcher.close();
    scheduler.shutdownNow();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private boolean healthy() {
    return registry.snapshot().isHealthy(endpoint);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(5), Duration.ofMillis(5), what);
  }

  @Test
  void aWorkerEntersRotationOnlyWhenServing() throws Exception {
    Thread.sleep(100);
    assertFalse(healthy(), "a NOT_SERVING worker must stay out");
    health.setStatus(SERVICE, ServingStatus.SERVING);
    await(this::healthy, "SERVING puts it in rotation");
    health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
    await(() -> !healthy(), "NOT_SERVING takes it out");
  }

  @Test
  void aDeadWorkerLeavesAtOnceAndRejoinsWhenItComesBack() throws Exception {
    health.setStatus(SERVICE, ServingStatus.SERVING);
    await(this::healthy, "in rotation");
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    await(() -> !healthy(), "a broken health stream takes it out");
    Thread.sleep(300); // several failed re-opens while it is down
    assertFalse(healthy());
    startServer(ServingStatus.SERVING);
    await(this::healthy, "back in rotation after restart");
    synchronized (transitions) {
      assertEquals(List.of("up", "down", "up"), transitions.subList(transitions.size() - 3, transitions.size()));
    }
  }

  @Test
  void anUnwatchedWorkerIsLeftAlone() throws Exception {
    health.setStatus(SERVICE, ServingStatus.SERVING);
    await(this::healthy, "in rotation");
    watcher.unwatch(endpoint);
    health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
    Thread.sleep(200);
    assertEquals(true, healthy(), "status changes after unwatch must not be applied");
  }
}
