package imagerec.balancer.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.balancer.BalancerConfig;
import imagerec.balancer.BalancerServer;
import imagerec.balancer.InProcessBalancer;
import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.grpc.CacheOutcomes;
import imagerec.grpc.WireHeaders;
import imagerec.security.ConnectionLimits;
import imagerec.server.ServerConfig;
import imagerec.testing.Await;
import imagerec.testing.FakeWorker;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The response cache and coalescing through a real balancer over in-process fake workers: who
 * calls a worker, who shares an answer or a failure, and which answers are kept.
 */
class CachedCallTest {
  private static final ByteString IMAGE = ByteString.copyFromUtf8("the same image");
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @AutoClose
  private InProcessBalancer cluster;
  private FakeWorker worker;
  /** The imagerec-cache trailers of the calls. */
  private final CacheOutcomes outcomes = new CacheOutcomes();

  @BeforeEach
  void start() throws Exception {
    cluster = new InProcessBalancer(1);
    worker = cluster.workers.get(0);
    worker.catalog = catalog("m@1", "hold@1", "hold-fail:INVALID_ARGUMENT@1", "hold-fail:RESOURCE_EXHAUSTED@1",
        "fail:INVALID_ARGUMENT@1");
    BalancerServer balancer = cluster.start(new BalancerConfig(
        ServerConfig.ephemeral("localhost", new ConnectionLimits(4 << 20, 100, Duration.ZERO, Duration.ofMinutes(1))),
        DiscoveryConfig.of(cluster.workerNames()), RoutingConfig.DEFAULT, new ForwardingConfig(1, 0, 1000, 16),
        new CacheConfig(1 << 20, Duration.ZERO), AdminConfig.SHARED,
        new HttpConfig("127.0.0.1", 0, Duration.ofSeconds(20), 2, null), WorkerChannelConfig.PLAINTEXT, 1));
    Await.until(() -> balancer.registry().snapshot().healthy().stream().allMatch(e -> e.catalog() != null)
        && !balancer.registry().snapshot().healthy().isEmpty(), Duration.ofSeconds(10), Duration.ofMillis(10),
        "the worker's models known");
  }

  private static ListModelsResponse catalog(String... models) {
    ListModelsResponse.Builder b = ListModelsResponse.newBuilder().setDefaultModel("m");
    for (String m : models) {
      String[] nameVersion = m.split("@");
      b.addModels(ModelInfo.newBuilder().setName(nameVersion[0]).setVersion(nameVersion[1]));
    }
    return b.build();
  }

  /** A stub whose calls count their cache trailer, with {@code headers} sent. */
  private RecognizerGrpc.RecognizerFutureStub stub(Metadata headers) {
    return RecognizerGrpc.newFutureStub(ClientInterceptors.intercept(cluster.channel, outcomes,
        MetadataUtils.newAttachHeadersInterceptor(headers)));
  }

  private CompletableFuture<RecognizeResponse> call(String model, String id, Duration deadline, Metadata headers) {
    var future = stub(headers).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .recognize(RecognizeRequest.newBuilder().setModel(model).setRequestId(id).setImage(IMAGE).build());
    CompletableFuture<RecognizeResponse> out = new CompletableFuture<>();
    future.addListener(() -> {
      try {
        out.complete(future.get());
      } catch (ExecutionException e) {
        out.completeExceptionally(e.getCause());
      } catch (InterruptedException e) {
        out.completeExceptionally(e);
      }
    }, Runnable::run);
    return out;
  }

  private CompletableFuture<RecognizeResponse> call(String model, String id) {
    return call(model, id, Duration.ofSeconds(20), new Metadata());
  }

  private static Status.Code codeOf(CompletableFuture<RecognizeResponse> f) {
    try {
      f.get(20, TimeUnit.SECONDS);
      return Status.Code.OK;
    } catch (ExecutionException e) {
      return ((StatusRuntimeException) e.getCause()).getStatus().getCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Waits until {@code n} calls wait behind the one in flight (the balancer holds the key). */
  private void awaitWorkerCalls(int n) throws InterruptedException {
    Await.until(() -> worker.calls.get() >= n, Duration.ofSeconds(10), Duration.ofMillis(5), n + " worker calls");
  }

  @Test
  void identicalCallsInFlightMakeOneWorkerCallAndLaterOnesAreHitsWithTheirOwnIds() throws Exception {
    List<CompletableFuture<RecognizeResponse>> calls = new ArrayList<>();
    calls.add(call("hold", "leader"));
    awaitWorkerCalls(1);
    for (int i = 0; i < 20; i++) {
      calls.add(call("hold", "waiter-" + i));
    }
    Thread.sleep(100); // the waiters reach the balancer
    worker.release.countDown();
    for (int i = 0; i < calls.size(); i++) {
      RecognizeResponse r = calls.get(i).get(20, TimeUnit.SECONDS);
      assertEquals(i == 0 ? "leader" : "waiter-" + (i - 1), r.getRequestId(), "each caller gets its own id");
      assertEquals("1", r.getModelVersion());
    }
    assertEquals(1, worker.calls.get(), "one worker call for 21 identical calls");
    assertEquals(Map.of("coalesced", 20L, "miss", 1L), outcomes.snapshot());
    assertEquals("later", call("hold", "later").get(20, TimeUnit.SECONDS).getRequestId());
    assertEquals(1, worker.calls.get(), "answered from the cache");
    ResponseCache.Stats s = cluster.balancer.cache().stats();
    assertEquals(1, s.hits());
    assertEquals(20, s.coalesced());
    assertEquals(1, s.entries());
  }

  @Test
  void aDeterministicFailureIsSharedAndNeverKept() throws Exception {
    CompletableFuture<RecognizeResponse> leader = call("hold-fail:INVALID_ARGUMENT", "leader");
    awaitWorkerCalls(1);
    List<CompletableFuture<RecognizeResponse>> waiters = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiters.add(call("hold-fail:INVALID_ARGUMENT", "w" + i));
    }
    Thread.sleep(100);
    worker.release.countDown();
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(leader));
    waiters.forEach(w -> assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(w), "the same request fails the same way"));
    assertEquals(1, worker.calls.get());
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(call("fail:INVALID_ARGUMENT", "again")));
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(call("fail:INVALID_ARGUMENT", "again")));
    assertEquals(3, worker.calls.get(), "errors are not cached");
  }

  @Test
  void aTransientFailureMakesEachWaiterCallForItself() throws Exception {
    CompletableFuture<RecognizeResponse> leader = call("hold-fail:RESOURCE_EXHAUSTED", "leader");
    awaitWorkerCalls(1);
    List<CompletableFuture<RecognizeResponse>> waiters = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiters.add(call("hold-fail:RESOURCE_EXHAUSTED", "w" + i));
    }
    Thread.sleep(100);
    worker.release.countDown();
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, codeOf(leader));
    waiters.forEach(w -> assertEquals(Status.Code.RESOURCE_EXHAUSTED, codeOf(w)));
    assertEquals(4, worker.calls.get(), "each waiter asked a worker itself");
  }

  @Test
  void theLeaderGivingUpDoesNotFailTheWaitersAndAShortWaiterFailsByItsOwnDeadline() throws Exception {
    CompletableFuture<RecognizeResponse> leader = call("hold", "leader", Duration.ofMillis(300), new Metadata());
    awaitWorkerCalls(1);
    CompletableFuture<RecognizeResponse> patient = call("hold", "patient");
    CompletableFuture<RecognizeResponse> hasty = call("hold", "hasty", Duration.ofMillis(200), new Metadata());
    assertEquals(Status.Code.DEADLINE_EXCEEDED, codeOf(hasty), "a waiter's own deadline holds");
    assertEquals(Status.Code.DEADLINE_EXCEEDED, codeOf(leader));
    awaitWorkerCalls(2); // the patient waiter called for itself
    worker.release.countDown();
    assertEquals("patient", patient.get(20, TimeUnit.SECONDS).getRequestId());
    assertEquals(2, worker.calls.get());
  }

  @Test
  void aNewVersionIsANewKeyAndTheOldVersionsAnswersGo() throws Exception {
    call("m", "a").get(20, TimeUnit.SECONDS);
    call("m", "b").get(20, TimeUnit.SECONDS);
    assertEquals(1, worker.calls.get());
    worker.catalog = catalog("m@2");
    cluster.balancer.refreshCatalogs();
    Await.until(() -> cluster.balancer.cache().stats().entries() == 0, Duration.ofSeconds(10), Duration.ofMillis(5),
        "the answers of version 1 dropped once the worker serves version 2");
    assertEquals("2", call("m", "c").get(20, TimeUnit.SECONDS).getModelVersion());
    assertEquals(2, worker.calls.get());
    assertEquals("2", call("m", "d").get(20, TimeUnit.SECONDS).getModelVersion());
    assertEquals(2, worker.calls.get());
  }

  @Test
  void theOptOutHeaderAndAnUncacheableModelSkipTheCache() throws Exception {
    Metadata no = new Metadata();
    no.put(WireHeaders.CACHE, "no");
    call("m", "a", Duration.ofSeconds(20), no).get(20, TimeUnit.SECONDS);
    call("m", "b", Duration.ofSeconds(20), no).get(20, TimeUnit.SECONDS);
    assertEquals(2, worker.calls.get(), "imagerec-cache: no");
    assertEquals(0, cluster.balancer.cache().stats().entries(), "nor kept");
    worker.catalog = worker.catalog.toBuilder().setModels(0, worker.catalog.getModels(0).toBuilder()
        .setUncacheable(true)).build();
    cluster.balancer.refreshCatalogs();
    Await.until(() -> cluster.balancer.registry().snapshot().healthy().get(0).catalog().cacheable("m") == false,
        Duration.ofSeconds(10), Duration.ofMillis(5), "the catalog says m is not cacheable");
    call("m", "c").get(20, TimeUnit.SECONDS);
    call("m", "d").get(20, TimeUnit.SECONDS);
    assertEquals(4, worker.calls.get(), "\"cacheable\": false");
    assertEquals(Map.of(), outcomes.snapshot(), "no cache trailer on calls the cache skipped");
  }

  @Test
  void httpUploadsShareTheCacheSayHowTheyWereAnsweredAndCanOptOut() throws Exception {
    assertEquals("miss", upload().headers().firstValue("imagerec-cache").orElse(null));
    HttpResponse<String> hit = upload();
    assertEquals(200, hit.statusCode(), hit.body());
    assertEquals("hit", hit.headers().firstValue("imagerec-cache").orElse(null));
    assertEquals(1, worker.calls.get(), "the second upload was answered from the cache");
    call("m", "grpc").get(20, TimeUnit.SECONDS);
    assertEquals(1, worker.calls.get(), "a gRPC call of the same image too");
    assertEquals(Map.of("hit", 1L), outcomes.snapshot());

    for (String[] optOut : List.of(new String[] {"Cache-Control", "no-cache"},
        new String[] {"Cache-Control", "max-age=0, No-Store"}, new String[] {"imagerec-cache", "no"})) {
      int before = worker.calls.get();
      HttpResponse<String> skipped = upload(optOut);
      assertEquals(200, skipped.statusCode(), skipped.body());
      assertEquals(before + 1, worker.calls.get(), "a worker answered " + String.join(": ", optOut));
      assertTrue(skipped.headers().firstValue("imagerec-cache").isEmpty(), "the cache skipped it");
    }
    assertEquals(1, cluster.balancer.cache().stats().entries(), "what was skipped was not kept either");
  }

  private HttpResponse<String> upload(String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + cluster.balancer.httpPort() + "/v1/recognize?model=m"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(IMAGE.toByteArray()));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
