package imagerec.it;

import static imagerec.testing.Prometheus.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import imagerec.testing.Prometheus;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees of real processes: the HTTP upload endpoint answered to curl, Prometheus
 * metrics on every process, JSON logs, and one trace carried from the client through the balancer
 * to the worker (spans written by OpenTelemetry's logging exporter).
 */
class OperationsTest {
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  /**
   * A line of libtorch's own C++ logger, such as {@code [W1203 21:52:10.285620436 NNPACK.cpp:57] Could
   * not initialize NNPACK! ...}, which libtorch writes to stderr on CPUs NNPACK does not support.
   * These tests start workers with {@code java} directly; {@code bin/imagerec-worker} drops that line.
   */
  private static final Pattern LIBTORCH_NATIVE_LINE = Pattern.compile("\\[[IWEF]\\d{4} [\\d:.]+ \\w+\\.cpp:\\d+\\] ");
  @AutoClose
  private static ProcessCluster cluster;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.start("operations", 2,
        Map.of("IMAGEREC_LOG_FORMAT", "json", "OTEL_TRACES_EXPORTER", "logging"),
        "--http-port", "0", "--access-log");
  }

  @Test
  void curlUploadsAnImageAsAFormAndGetsLabelledJson() throws Exception {
    Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "30",
        "-F", "image=@" + ProcessCluster.ROOT.resolve("samples/trouser/0.png"),
        "http://127.0.0.1:" + cluster.httpPort() + "/image")
        .redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(curl.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, curl.exitValue(), out);
    JsonObject answer = JsonParser.parseString(out).getAsJsonObject();
    assertEquals("fashion-mnist", answer.get("model").getAsString());
    assertEquals("Trouser", answer.getAsJsonArray("classifications").get(0).getAsJsonObject().get("label").getAsString());
    assertTrue(answer.get("worker").getAsString().startsWith("worker-"));
  }

  @Test
  void rawUploadAndItsErrorsOverHttp() throws Exception {
    byte[] png = Files.readAllBytes(ProcessCluster.ROOT.resolve("samples/bag/0.png"));
    HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(uri("/v1/recognize?top_k=1&request_id=bag-0"))
        .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ok.statusCode(), ok.body());
    JsonObject answer = JsonParser.parseString(ok.body()).getAsJsonObject();
    assertEquals("bag-0", answer.get("request_id").getAsString());
    assertEquals(1, answer.getAsJsonArray("classifications").size());
    assertEquals("Bag", answer.getAsJsonArray("classifications").get(0).getAsJsonObject().get("label").getAsString());

    HttpResponse<String> junk = HTTP.send(HttpRequest.newBuilder(uri("/v1/recognize"))
        .POST(HttpRequest.BodyPublishers.ofString("not an image")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, junk.statusCode());
    assertEquals("INVALID_ARGUMENT", JsonParser.parseString(junk.body()).getAsJsonObject()
        .getAsJsonObject("error").get("status").getAsString());
    HttpResponse<String> unknown = HTTP.send(HttpRequest.newBuilder(uri("/v1/recognize?model=nope"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, unknown.statusCode());
  }

  @Test
  void everyProcessServesPrometheusMetricsThatCountTheCalls() throws Exception {
    ManagedChannel channel = cluster.channelToBalancer();
    try {
      RecognizerGrpc.RecognizerBlockingStub stub = RecognizerGrpc.newBlockingStub(channel);
      ByteString image = ByteString.copyFrom(Files.readAllBytes(ProcessCluster.ROOT.resolve("samples/coat/0.png")));
      for (int i = 0; i < 6; i++) {
        stub.withDeadlineAfter(30, TimeUnit.SECONDS).recognize(RecognizeRequest.newBuilder().setImage(image).build());
      }
    } finally {
      channel.shutdownNow();
    }
    double atWorkers = 0;
    for (ProcessCluster.Node worker : cluster.workers()) {
      String m = scrape(worker);
      atWorkers += value(m, "imagerec_worker_recognitions_total{model=\"fashion-mnist\",process=\"worker\",status=\"OK\"}");
      assertTrue(m.contains("jvm_memory_used_bytes{"), "JVM metrics on " + worker.name());
      assertTrue(m.contains("imagerec_worker_recognition_duration_seconds_bucket{model=\"fashion-mnist\",process=\"worker\",stage=\"inference\""));
    }
    String b = scrape(cluster.balancer());
    double forwarded = 0;
    for (ProcessCluster.Node worker : cluster.workers()) {
      forwarded += value(b, "imagerec_balancer_forwarded_total{process=\"balancer\",status=\"OK\",worker=\"" + worker.address() + "\"}");
    }
    assertTrue(atWorkers >= 6, "the workers count the images: " + atWorkers);
    assertEquals(atWorkers, forwarded, 1e-9, "every image a worker answered went through the balancer");
    assertEquals(2, value(b, "imagerec_balancer_workers{process=\"balancer\",state=\"SERVING\"}"));
  }

  @Test
  void logsAreJsonAndOneTraceRunsFromTheClientThroughTheBalancerToAWorker() throws Exception {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + TRACE_ID + "-b7ad6b7169203331-01");
    ManagedChannel channel = cluster.channelToBalancer();
    try {
      RecognizerGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .recognize(RecognizeRequest.newBuilder().setRequestId("traced-1")
              .setImage(ByteString.copyFrom(Files.readAllBytes(ProcessCluster.ROOT.resolve("samples/sneaker/0.png")))).build());
    } finally {
      channel.shutdownNow();
    }
    Path dir = cluster.logDir();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    boolean inBalancer = false;
    boolean inWorker = false;
    while (!(inBalancer && inWorker) && System.nanoTime() < until) {
      inBalancer = Files.readString(dir.resolve("balancer.log")).contains(TRACE_ID);
      inWorker = Files.readString(dir.resolve("worker-0.log")).contains(TRACE_ID)
          || Files.readString(dir.resolve("worker-1.log")).contains(TRACE_ID);
      Thread.sleep(100);
    }
    assertTrue(inBalancer, "the balancer's spans carry the client's trace id");
    assertTrue(inWorker, "a worker's spans carry the client's trace id");

    for (String name : List.of("balancer.log", "worker-0.log", "worker-1.log")) {
      List<String> lines = Files.readAllLines(dir.resolve(name));
      assertTrue(lines.size() > 3, name);
      for (String line : lines) {
        if (LIBTORCH_NATIVE_LINE.matcher(line).lookingAt()) {
          continue; // libtorch's C++ logger writes to stderr itself, not through the JVM's logging (LIBTORCH_NATIVE_LINE)
        }
        JsonObject event = JsonParser.parseString(line).getAsJsonObject(); // throws on a line that is not JSON
        assertTrue(event.has("level") && event.has("loggerName") && event.has("formattedMessage"), line);
      }
    }
    boolean accessLine = Files.readAllLines(dir.resolve("balancer.log")).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject())
        .anyMatch(e -> e.get("loggerName").getAsString().equals("imagerec.access")
            && e.toString().contains("traced-1"));
    assertTrue(accessLine, "the balancer's access log names the request id");
  }

  private static URI uri(String path) throws Exception {
    return URI.create("http://127.0.0.1:" + cluster.httpPort() + path);
  }

  private static String scrape(ProcessCluster.Node node) throws Exception {
    return Prometheus.scrape(node.metricsPort());
  }

}
