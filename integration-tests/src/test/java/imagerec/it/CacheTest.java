package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import imagerec.cli.ImagerecCommand;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.testing.Await;
import imagerec.testing.CommandRun;
import imagerec.testing.Prometheus;
import imagerec.testing.StreamCollector;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The balancer's response cache with real processes: a worker serving a copy of the bundled model
 * (so that a test can reload it), and a balancer with a small heap and a cache of 8 MiB.
 */
class CacheTest {
  private static final Path MODELS = ProcessCluster.ROOT.resolve("integration-tests/target/cache-models");
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @AutoClose
  private static ProcessCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    if (Files.exists(MODELS)) {
      try (Stream<Path> old = Files.walk(MODELS)) {
        old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Path model = MODELS.resolve("fashion-mnist");
    Files.createDirectories(model);
    try (Stream<Path> files = Files.list(ProcessCluster.ROOT.resolve("models/fashion-mnist"))) {
      for (Path f : files.toList()) {
        Files.copy(f, model.resolve(f.getFileName()));
      }
    }
    cluster = ProcessCluster.start(new ProcessCluster("cache").heap("balancer", "64m"), 1, Map.of(),
        List.of("--models", MODELS.toString(), "--poll-interval-ms", "200"),
        io.grpc.InsecureChannelCredentials.create(), io.grpc.InsecureChannelCredentials.create(),
        "--cache-bytes", "8m", "--max-bytes-in-flight", Long.toString(8 << 20), "--max-message-bytes", Long.toString(4 << 20), "--catalog-interval-ms", "500", "--http-port", "0");
    Await.until(() -> cluster.recognizer().listModels(ListModelsRequest.getDefaultInstance()).getModelsCount() == 1,
        Duration.ofSeconds(10), Duration.ofMillis(50), "the balancer knows the worker's model");
  }

  private static ByteString sample(String file) throws Exception {
    return ByteString.copyFrom(Files.readAllBytes(ProcessCluster.ROOT.resolve("samples").resolve(file)));
  }

  /** Images the worker has answered, all models and outcomes. */
  private static double workerImages() throws Exception {
    String scrape = Prometheus.scrape(cluster.workers().get(0).metricsPort());
    double total = 0;
    for (String line : scrape.split("\n")) {
      if (line.startsWith("imagerec_worker_recognitions_total{")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  private static double balancerMetric(String series) throws Exception {
    return Prometheus.value(Prometheus.scrape(cluster.balancer().metricsPort()), series);
  }

  @Test
  void aHundredIdenticalCallsAtOnceAreOneWorkerCallOnEveryPath() throws Exception {
    ByteString image = sample("coat/0.png");
    double before = workerImages();
    RecognizerGrpc.RecognizerFutureStub futures = RecognizerGrpc.newFutureStub(cluster.channel());
    List<com.google.common.util.concurrent.ListenableFuture<RecognizeResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(futures.withDeadlineAfter(30, TimeUnit.SECONDS).recognize(RecognizeRequest.newBuilder()
          .setImage(image).setRequestId("same-" + i).build()));
    }
    for (int i = 0; i < calls.size(); i++) {
      RecognizeResponse r = calls.get(i).get(30, TimeUnit.SECONDS);
      assertEquals("same-" + i, r.getRequestId());
      assertEquals("Coat", r.getClassifications(0).getLabel());
    }
    assertEquals(1, workerImages() - before, "one worker call for 100 identical calls");

    // the same image as stream items and over HTTP: answered by the balancer
    StreamCollector items = new StreamCollector();
    var stream = RecognizerGrpc.newStub(cluster.channel()).recognizeStream(items);
    for (int i = 0; i < 10; i++) {
      stream.onNext(RecognizeRequest.newBuilder().setImage(image).setRequestId("item-" + i).build());
    }
    stream.onCompleted();
    assertTrue(items.await(Duration.ofSeconds(30)));
    List<RecognizeResponse> answered = items.responses();
    assertEquals(10, answered.size());
    assertTrue(answered.stream().allMatch(r -> r.getRequestId().startsWith("item-") && !r.hasError()), answered.toString());
    HttpResponse<String> http = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort()
            + "/v1/recognize?request_id=over-http")).header("Content-Type", "image/png")
            .POST(HttpRequest.BodyPublishers.ofByteArray(image.toByteArray())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, http.statusCode(), http.body());
    JsonObject json = JsonParser.parseString(http.body()).getAsJsonObject();
    assertEquals("over-http", json.get("request_id").getAsString());
    assertEquals(1, workerImages() - before, "stream items and HTTP uploads hit the same cache");

    // the inference protocol: its own key (another method), then answered from the cache too
    var oip = GRPCInferenceServiceGrpc.newBlockingStub(cluster.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    for (int i = 0; i < 3; i++) {
      assertEquals("infer-" + i, oip.modelInfer(OpenInferenceProtocolTest.typed("infer-" + i, List.of(image))).getId());
    }
    assertEquals(2, workerImages() - before);
    assertTrue(balancerMetric("imagerec_balancer_cache_hits_total{process=\"balancer\"}")
        + balancerMetric("imagerec_balancer_cache_coalesced_total{process=\"balancer\"}") >= 99 + 10 + 1 + 2);
  }

  @Test
  void afterAHotReloadOnlyTheNewVersionIsServed() throws Exception {
    ByteString image = sample("sneaker/0.png");
    RecognizeRequest request = RecognizeRequest.newBuilder().setImage(image).build();
    String before = cluster.recognizer().recognize(request).getModelVersion();
    assertEquals(before, cluster.recognizer().recognize(request).getModelVersion(), "cached");
    Path json = MODELS.resolve("fashion-mnist/model.json");
    String next = Integer.toString(Integer.parseInt(before) + 1);
    String text = Files.readString(json);
    Files.writeString(json, text.contains("\"version\"")
        ? text.replaceFirst("\"version\"\\s*:\\s*\"[^\"]*\"", "\"version\": \"" + next + "\"")
        : text.replaceFirst("\\{", "{\"version\": \"" + next + "\", "));
    Await.until(() -> cluster.recognizer().listModels(ListModelsRequest.getDefaultInstance()).getModels(0).getVersion().equals(next),
        Duration.ofSeconds(30), Duration.ofMillis(20), "the balancer lists version " + next);
    for (int i = 0; i < 20; i++) {
      assertEquals(next, cluster.recognizer().recognize(request).getModelVersion(), "no answer of the replaced version");
    }
  }

  @Test
  void uniqueImagesKeepTheCacheWithinItsBoundAndTheBalancerWithinItsHeap() throws Exception {
    CommandRun bench = CommandRun.of(ImagerecCommand.commandLine(), "bench", "--target",
        cluster.balancer().address(), "--repeat", "0", "--count", "30000", "--concurrency", "32", "--warmup", "0s",
        "--json", ProcessCluster.ROOT.resolve("samples").toString());
    assertEquals(0, bench.code(), bench.out() + bench.err());
    JsonObject step = JsonParser.parseString(bench.out().strip()).getAsJsonObject();
    assertEquals(30000, step.get("ok").getAsLong(), bench.out());
    assertEquals(0.0, step.get("cache_hit_ratio").getAsDouble(), 0.01, "unique images miss");
    double bytes = balancerMetric("imagerec_balancer_cache_bytes{process=\"balancer\"}");
    assertTrue(bytes > 4 << 20 && bytes <= 8 << 20, "the cache filled up to its bound: " + bytes);
    assertTrue(balancerMetric("imagerec_balancer_cache_evictions_total{process=\"balancer\"}") > 0);
    assertTrue(cluster.balancer().process().isAlive(), "a 64 MiB heap held an 8 MiB cache");
  }
}
