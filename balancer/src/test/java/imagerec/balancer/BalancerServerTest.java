package imagerec.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.cache.CacheConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.routing.Picker;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.observability.Tracing;
import imagerec.server.ServerConfig;
import imagerec.testing.Await;
import imagerec.testing.Collector;
import imagerec.testing.FakeWorker;
import imagerec.testing.StreamCollector;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.DrainWorkerRequest;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.ListWorkersResponse;
import imagerec.v1.LoadReport;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.RegisterRequest;
import imagerec.v1.RegisterResponse;
import imagerec.v1.WorkerRegistrationGrpc;
import imagerec.v1.WorkerStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The balancer with in-process fake workers: routing, health, retries, deadlines, streams. */
class BalancerServerTest {
  private static final int MAX_IN_FLIGHT = 20; // above the stream window (16)
  private static final imagerec.security.ConnectionLimits LIMITS =
      new imagerec.security.ConnectionLimits(4 << 20, 100, Duration.ZERO, Duration.ofMinutes(1));
  private final ConnectionResets resets = new ConnectionResets();
  @AutoClose
  private InProcessBalancer cluster;
  private RecognizerGrpc.RecognizerBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    cluster = new InProcessBalancer(3);
    cluster.start(
        new BalancerConfig(ServerConfig.ephemeral("localhost", LIMITS), DiscoveryConfig.of(cluster.workerNames()),
            new RoutingConfig(Picker.Policy.LEAST_OUTSTANDING, 3, Duration.ofSeconds(30), Duration.ofMinutes(5), 0.5),
            new ForwardingConfig(3, 0.2, MAX_IN_FLIGHT, 16), CacheConfig.OFF, AdminConfig.SHARED, HttpConfig.OFF,
            WorkerChannelConfig.PLAINTEXT, 1),
        address -> InProcessChannelBuilder.forName(address).intercept(resets.on(address)).build(),
        Tracing.fromEnvironment("imagerec-balancer"));
    stub = RecognizerGrpc.newBlockingStub(cluster.channel);
    awaitTrue(() -> healthyCount() == 3, "all workers healthy");
  }


  private int healthyCount() {
    return cluster.balancer.registry().snapshot().healthy().size();
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(10), Duration.ofMillis(10), what);
  }

  private String recognize(String model) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .recognize(RecognizeRequest.newBuilder().setModel(model).build()).getWorker();
  }

  private void assertNothingInFlight() throws InterruptedException {
    awaitTrue(() -> cluster.balancer.registry().snapshot().all().stream().allMatch(e -> e.inFlight() == 0),
        "in-flight counters back to zero");
  }

  @Test
  void callsSpreadOverHealthyWorkersAndCountersReturnToZero() throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      counts.merge(recognize(""), 1, Integer::sum);
    }
    assertEquals(3, counts.size(), counts.toString());
    assertNothingInFlight();
    long completed = cluster.balancer.registry().snapshot().all().stream().mapToLong(WorkerEndpoint::completed).sum();
    assertEquals(60, completed);
  }

  @Test
  void balancerHealthFollowsItsWorkers() throws Exception {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(cluster.channel);
    HealthCheckRequest request = HealthCheckRequest.newBuilder().setService(RecognizerGrpc.SERVICE_NAME).build();
    assertEquals(ServingStatus.SERVING, health.check(request).getStatus());
    cluster.workers.forEach(w -> w.setServing(false));
    awaitTrue(() -> health.check(request).getStatus() == ServingStatus.NOT_SERVING, "balancer NOT_SERVING");
  }

  @Test
  void notServingWorkerLeavesRotationAndComesBack() throws Exception {
    FakeWorker w0 = cluster.workers.get(0);
    w0.setServing(false);
    awaitTrue(() -> healthyCount() == 2, "w0 out of rotation");
    int before = w0.calls.get();
    for (int i = 0; i < 30; i++) {
      recognize("");
    }
    assertEquals(before, w0.calls.get(), "a NOT_SERVING worker got calls");
    w0.setServing(true);
    awaitTrue(() -> healthyCount() == 3, "w0 back in rotation");
    for (int i = 0; i < 30; i++) {
      recognize("");
    }
    assertTrue(w0.calls.get() > before, "w0 got no calls after returning");
  }

  @Test
  void killedWorkerLeavesRotationAndCallsGoOn() throws Exception {
    cluster.workers.get(1).kill();
    awaitTrue(() -> healthyCount() == 2, "killed worker out of rotation");
    for (int i = 0; i < 20; i++) {
      String worker = recognize("");
      assertTrue(!worker.equals(cluster.workers.get(1).name));
    }
  }

  @Test
  void unavailableWorkerIsRetriedOnAnother() throws Exception {
    cluster.workers.get(0).failWith = Status.UNAVAILABLE.withDescription("draining");
    for (int i = 0; i < 30; i++) {
      assertTrue(!recognize("").equals(cluster.workers.get(0).name));
    }
    assertTrue(cluster.workers.get(0).calls.get() > 0, "the failing worker was never tried, so retry was not tested");
    assertNothingInFlight();
  }

  @Test
  void aConnectionResetThatGrpcReportsAsUnknownIsRetriedOnAnother() throws Exception {
    resets.reset(cluster.workers.get(0).name);
    for (int i = 0; i < 30; i++) {
      assertTrue(!recognize("").equals(cluster.workers.get(0).name));
    }
    assertTrue(resets.count() > 0, "no call met the reset worker, so retry was not tested");
    assertEquals(0, cluster.workers.get(0).calls.get());
    assertNothingInFlight();
  }

  @Test
  void clientErrorsPassThroughUnchangedAndAreNotRetried() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recognize("fail:NOT_FOUND"));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("asked to fail", e.getStatus().getDescription());
    assertEquals(1, cluster.workers.stream().mapToInt(w -> w.calls.get()).sum());
  }

  @Test
  void noHealthyWorkerFailsPromptlyWithUnavailable() throws Exception {
    cluster.workers.forEach(w -> w.setServing(false));
    awaitTrue(() -> healthyCount() == 0, "no healthy worker");
    long start = System.nanoTime();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recognize(""));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "not prompt (the deadline is 10 s)");
  }

  @Test
  void deadlinePropagatesToTheWorker() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub
        .withDeadlineAfter(200, TimeUnit.MILLISECONDS).recognize(RecognizeRequest.newBuilder().setModel("hold").build()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    assertNothingInFlight();
    FakeWorker holder = cluster.workers.stream().filter(w -> w.calls.get() == 1).findFirst().orElseThrow();
    assertEquals(1, endpoint(holder).failed(),
        "a call its deadline ended counts against the worker, whichever side's deadline fired first");
  }

  private WorkerEndpoint endpoint(FakeWorker worker) {
    return cluster.balancer.registry().find(worker.name).orElseThrow();
  }

  @Test
  void clientCancelReachesTheWorkerCall() throws Exception {
    io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
    Thread caller = new Thread(() -> context.run(() -> {
      try {
        recognize("hold");
      } catch (StatusRuntimeException expected) {
        // CANCELLED
      }
    }));
    caller.start();
    awaitTrue(() -> cluster.workers.stream().anyMatch(w -> w.calls.get() == 1), "the held call reached a worker");
    FakeWorker holder = cluster.workers.stream().filter(w -> w.calls.get() == 1).findFirst().orElseThrow();
    context.cancel(null);
    caller.join(5000);
    awaitTrue(() -> holder.cancelled.get() == 1, "the worker saw the cancellation");
    assertNothingInFlight();
    assertEquals(0, endpoint(holder).failed(), "a client's own cancel says nothing about the worker");
  }

  @Test
  void drainedWorkerGetsNoNewCallsButFinishesItsInFlightOne() throws Exception {
    BalancerAdminGrpc.BalancerAdminBlockingStub admin = BalancerAdminGrpc.newBlockingStub(cluster.channel);
    // hold one call on some worker, then drain that worker
    Thread caller = new Thread(() -> recognize("hold"));
    caller.start();
    awaitTrue(() -> cluster.workers.stream().anyMatch(w -> w.calls.get() == 1), "the held call reached a worker");
    FakeWorker held = cluster.workers.stream().filter(w -> w.calls.get() == 1).findFirst().orElseThrow();
    WorkerStatus drained = admin.drainWorker(DrainWorkerRequest.newBuilder().setAddress(held.name).build());
    assertEquals(WorkerStatus.State.DRAINING, drained.getState());
    assertEquals(1, drained.getInFlight());
    for (int i = 0; i < 20; i++) {
      assertTrue(!recognize("").equals(held.name), "a drained worker got a new call");
    }
    held.release.countDown();
    caller.join(5000);
    assertNothingInFlight();
    ListWorkersResponse list = admin.listWorkers(ListWorkersRequest.getDefaultInstance());
    assertEquals(3, list.getWorkersCount());
    WorkerStatus after = list.getWorkersList().stream().filter(w -> w.getAddress().equals(held.name)).findFirst().orElseThrow();
    assertEquals(WorkerStatus.State.DRAINING, after.getState());
    assertEquals(1, after.getCompleted());
    assertTrue(after.getLatencyMs() > 0, "its answered call gave it a latency: " + after);
    assertEquals(WorkerStatus.State.SERVING,
        admin.undrainWorker(DrainWorkerRequest.newBuilder().setAddress(held.name).build()).getState());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> admin.drainWorker(DrainWorkerRequest.newBuilder().setAddress("nowhere:1").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }

  @Test
  void aWorkerFailingCallAfterCallIsEjectedAndTheOthersCarryOn() throws Exception {
    FakeWorker broken = cluster.workers.get(0);
    broken.failWith = Status.INTERNAL.withDescription("model crashed");
    int failures = 0;
    for (int i = 0; i < 60; i++) {
      try {
        recognize("");
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        failures++;
      }
    }
    assertEquals(3, failures, "ejected after 3 consecutive failures; no call after that reaches it");
    WorkerEndpoint endpoint = cluster.balancer.registry().find(broken.name).orElseThrow();
    assertEquals(1, endpoint.ejections());
    ListWorkersResponse list = BalancerAdminGrpc.newBlockingStub(cluster.channel).listWorkers(ListWorkersRequest.getDefaultInstance());
    WorkerStatus status = list.getWorkersList().stream().filter(w -> w.getAddress().equals(broken.name)).findFirst().orElseThrow();
    assertEquals(WorkerStatus.State.EJECTED, status.getState());
    assertTrue(status.getEjectedUntilUnixMs() > System.currentTimeMillis());
  }

  @Test
  void aWorkerThatShedsLoadGetsNoMoreCallsUntilItsPushbackEnds() throws Exception {
    FakeWorker shedding = cluster.workers.get(0);
    shedding.failWith = Status.RESOURCE_EXHAUSTED.withDescription("queue full");
    int shed = 0;
    for (int i = 0; i < 30; i++) {
      try {
        recognize("");
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        shed++;
      }
    }
    assertEquals(1, shed, "after shedding once with a 2 s pushback, the worker must get no calls");
  }

  @Test
  void theBalancersOwnInFlightLimitShedsWithResourceExhausted() throws Exception {
    List<Thread> holders = new ArrayList<>();
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
      Thread t = new Thread(() -> {
        try {
          recognize("hold");
        } catch (StatusRuntimeException ignored) {
          // released at the end
        }
      });
      t.start();
      holders.add(t);
    }
    awaitTrue(() -> cluster.workers.stream().mapToInt(w -> w.calls.get()).sum() == MAX_IN_FLIGHT, "the limit is reached");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recognize(""));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("limit of " + MAX_IN_FLIGHT), e.getStatus().getDescription());
    cluster.workers.forEach(w -> w.release.countDown());
    for (Thread t : holders) {
      t.join(5000);
    }
    assertFalse(recognize("").isEmpty(), "admitted again once calls finish");
  }

  @Test
  void aSelfRegisteredWorkerJoinsWhileItsStreamIsOpenAndLeavesWhenItEnds() throws Exception {
    try (FakeWorker newcomer = new FakeWorker("newcomer-host:1234")) {
      StreamObserver<RegisterRequest> registration = WorkerRegistrationGrpc.newStub(cluster.channel)
          .register(new StreamObserver<>() {
            @Override
            public void onNext(RegisterResponse value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
          });
      registration.onNext(RegisterRequest.newBuilder().setAddress(newcomer.name).addModels("fake")
          .setLoad(LoadReport.newBuilder().setQueueDepth(3)).build());
      awaitTrue(() -> healthyCount() == 4, "the registered worker is in rotation");
      WorkerEndpoint endpoint = cluster.balancer.registry().find(newcomer.name).orElseThrow();
      assertEquals("registered", endpoint.source());
      assertEquals(List.of("fake"), endpoint.models());
      assertEquals(3, endpoint.reportedQueueDepth());
      for (int i = 0; i < 40 && newcomer.calls.get() == 0; i++) {
        recognize("");
      }
      assertTrue(newcomer.calls.get() > 0, "the registered worker got no calls");
      registration.onCompleted();
      awaitTrue(() -> cluster.balancer.registry().find(newcomer.name).isEmpty(), "it leaves when the stream ends");
      assertEquals(3, healthyCount());
    }
  }

  @Test
  void aRegistrationWhoseAddressCannotBeDialledIsRefusedSayingWhy() throws Exception {
    Collector<RegisterResponse> responses = new Collector<>();
    StreamObserver<RegisterRequest> registration = WorkerRegistrationGrpc.newStub(cluster.channel).register(responses);
    registration.onNext(RegisterRequest.newBuilder().setAddress("newcomer-host:99999").addModels("fake").build());
    assertTrue(responses.await(Duration.ofSeconds(5)), "answered");
    Status status = Status.fromThrowable(responses.failure());
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertTrue(status.getDescription().contains("port 99999 is not 1 to 65535"), status.getDescription());
    assertTrue(cluster.balancer.registry().find("newcomer-host:99999").isEmpty(), "not added");
    assertEquals(3, healthyCount());
  }

  private static ListModelsResponse catalog(String defaultModel, String... nameAtVersion) {
    ListModelsResponse.Builder b = ListModelsResponse.newBuilder().setDefaultModel(defaultModel);
    for (String m : nameAtVersion) {
      String[] parts = m.split("@");
      b.addModels(ModelInfo.newBuilder().setName(parts[0]).setVersion(parts[1]));
    }
    return b.build();
  }

  @Test
  void callsGoOnlyToWorkersServingTheirModelAndListModelsIsTheUnion() throws Exception {
    cluster.workers.get(0).catalog = catalog("a", "a@1");
    cluster.workers.get(1).catalog = catalog("a", "a@2", "b@1");
    cluster.workers.get(2).catalog = catalog("b", "b@1");
    cluster.balancer.refreshCatalogs();
    awaitTrue(() -> cluster.balancer.registry().snapshot().all().stream().allMatch(e -> e.catalog() != null),
        "every worker's models known");
    ListModelsResponse union = stub.listModels(ListModelsRequest.getDefaultInstance());
    assertEquals(List.of("a", "b"), union.getModelsList().stream().map(ModelInfo::getName).toList());
    assertEquals("2", union.getModels(0).getVersion(), "the newest version of a");
    for (int i = 0; i < 30; i++) {
      recognize("b");
    }
    assertEquals(0, cluster.workers.get(0).calls.get(), "worker 0 does not serve b");
    assertTrue(cluster.workers.get(1).calls.get() > 0 && cluster.workers.get(2).calls.get() > 0, "both b workers share the load");
    int before = cluster.workers.get(2).calls.get();
    for (int i = 0; i < 10; i++) {
      recognize(""); // the default most workers have: a, which worker 2 does not serve
    }
    assertEquals(before, cluster.workers.get(2).calls.get());
    assertTrue("a".equals(cluster.workers.get(0).lastModel) || "a".equals(cluster.workers.get(1).lastModel),
        "the request names the resolved default model");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recognize("c"));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("a version 1, a version 2, b version 1"),
        e.getStatus().getDescription());
    var status = imagerec.v1.BalancerAdminGrpc.newBlockingStub(cluster.channel)
        .listWorkers(imagerec.v1.ListWorkersRequest.getDefaultInstance()).getWorkersList().stream()
        .filter(w -> w.getAddress().equals(cluster.workers.get(1).name)).findFirst().orElseThrow();
    assertEquals(List.of("a@2*", "b@1"), status.getServedModelsList().stream()
        .map(m -> m.getName() + "@" + m.getVersion() + (m.getIsDefault() ? "*" : "")).toList());
  }

  /** The outcome of one client stream: every response, and the error that ended it, if any. */
  private record StreamRun(List<RecognizeResponse> responses, Throwable failure) {}

  private StreamRun runStream(List<RecognizeRequest> items) throws InterruptedException {
    StreamCollector responses = new StreamCollector();
    StreamObserver<RecognizeRequest> requests = RecognizerGrpc.newStub(cluster.channel).recognizeStream(responses);
    items.forEach(requests::onNext);
    requests.onCompleted();
    assertTrue(responses.await(Duration.ofSeconds(20)), "stream hung");
    return new StreamRun(responses.responses(), responses.failure());
  }

  @Test
  void streamItemsAreRoutedOneByOneAndFailuresStayPerItem() throws Exception {
    List<RecognizeRequest> items = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      items.add(RecognizeRequest.newBuilder().setRequestId("r" + i)
          .setModel(i % 10 == 0 ? "fail:INVALID_ARGUMENT" : "").build());
    }
    StreamRun run = runStream(items);
    assertNull(run.failure());
    Map<String, RecognizeResponse> results = new HashMap<>();
    run.responses().forEach(r -> assertNull(results.put(r.getRequestId(), r), "two results for " + r.getRequestId()));
    assertEquals(90, results.size());
    Map<String, Integer> perWorker = new HashMap<>();
    for (int i = 0; i < 90; i++) {
      RecognizeResponse r = results.get("r" + i);
      if (i % 10 == 0) {
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), r.getError().getCode());
      } else {
        assertEquals(0, r.getError().getCode());
        perWorker.merge(r.getWorker(), 1, Integer::sum);
      }
    }
    assertEquals(3, perWorker.size(), "one stream should spread over all workers: " + perWorker);
    assertNothingInFlight();
  }

  @Test
  void streamItemsGetAnErrorWhenNoWorkerIsHealthy() throws Exception {
    cluster.workers.forEach(w -> w.setServing(false));
    awaitTrue(() -> healthyCount() == 0, "no healthy worker");
    StreamRun run = runStream(List.of(RecognizeRequest.newBuilder().setRequestId("x").build()));
    assertNull(run.failure());
    assertEquals(1, run.responses().size());
    assertEquals("x", run.responses().get(0).getRequestId());
    assertEquals(Status.Code.UNAVAILABLE.value(), run.responses().get(0).getError().getCode());
  }
}
