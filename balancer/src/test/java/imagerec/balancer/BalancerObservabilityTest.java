package imagerec.balancer;

import static imagerec.testing.Prometheus.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.cache.CacheConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.routing.Picker;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.observability.MetricsConfig;
import imagerec.observability.Tracing;
import imagerec.server.ServerConfig;
import imagerec.testing.Await;
import imagerec.testing.FakeWorker;
import imagerec.testing.Prometheus;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The balancer's metrics endpoint, tracing and HTTP upload endpoint, on real loopback ports, in
 * front of in-process fake workers.
 */
class BalancerObservabilityTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final int MAX_BODY = 64 * 1024;

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final HttpClient http = HttpClient.newHttpClient();
  @AutoClose
  private InProcessBalancer cluster;
  private RecognizerGrpc.RecognizerBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    cluster = new InProcessBalancer(2);
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    cluster.start(
        new BalancerConfig(
            ServerConfig.ephemeral("localhost",
                    new imagerec.security.ConnectionLimits(MAX_BODY, 100, Duration.ZERO, Duration.ofMinutes(1)))
                .withMetrics(new MetricsConfig("127.0.0.1", 0, null)).withAccessLog(true),
            DiscoveryConfig.of(cluster.workerNames()),
            new RoutingConfig(Picker.Policy.LEAST_OUTSTANDING, 3, Duration.ofSeconds(30), Duration.ofMinutes(5), 0.5),
            new ForwardingConfig(3, 1.0, 100, 16), CacheConfig.OFF, AdminConfig.SHARED,
            new HttpConfig("127.0.0.1", 0, Duration.ofSeconds(5), 4, null), WorkerChannelConfig.PLAINTEXT, 1),
        address -> InProcessChannelBuilder.forName(address).build(),
        new Tracing(sdk, true));
    stub = RecognizerGrpc.newBlockingStub(cluster.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cluster.balancer.registry().snapshot().healthy().size() < 2 && System.nanoTime() < until) {
      Thread.sleep(10);
    }
  }


  @Test
  void metricsShowCallsPerWorkerRetriesHealthAndTheWorkersLeavingRemovesTheirSeries() throws Exception {
    for (int i = 0; i < 4; i++) {
      stub.recognize(RecognizeRequest.getDefaultInstance());
    }
    assertThrows(StatusRuntimeException.class,
        () -> stub.recognize(RecognizeRequest.newBuilder().setModel("fail:INVALID_ARGUMENT").build()));
    FakeWorker failing = cluster.workers.get(0);
    failing.failWith = Status.UNAVAILABLE.withDescription("going away");
    for (int i = 0; i < 4; i++) {
      stub.recognize(RecognizeRequest.getDefaultInstance()); // retried on the other worker when routed to w0
    }
    failing.setServing(false);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cluster.balancer.registry().snapshot().healthy().size() != 1 && System.nanoTime() < until) {
      Thread.sleep(10);
    }

    String m = scrape();
    String w0 = failing.name;
    String w1 = cluster.workers.get(1).name;
    double ok = value(m, "imagerec_balancer_forwarded_total{process=\"balancer\",status=\"OK\",worker=\"" + w0 + "\"}")
        + value(m, "imagerec_balancer_forwarded_total{process=\"balancer\",status=\"OK\",worker=\"" + w1 + "\"}");
    assertEquals(8, ok, 1e-9, m);
    double invalid = value(m, "imagerec_balancer_forwarded_total{process=\"balancer\",status=\"INVALID_ARGUMENT\",worker=\"" + w0 + "\"}")
        + value(m, "imagerec_balancer_forwarded_total{process=\"balancer\",status=\"INVALID_ARGUMENT\",worker=\"" + w1 + "\"}");
    assertEquals(1, invalid, 1e-9);
    double unavailable = value(m, "imagerec_balancer_forwarded_total{process=\"balancer\",status=\"UNAVAILABLE\",worker=\"" + w0 + "\"}");
    assertEquals(unavailable, value(m, "imagerec_balancer_retries_total{process=\"balancer\",reason=\"UNAVAILABLE\"}"), 1e-9,
        "every UNAVAILABLE from w0 was retried");
    assertEquals(1, value(m, "imagerec_balancer_health_changes_total{process=\"balancer\",state=\"NOT_SERVING\",worker=\"" + w0 + "\"}"));
    assertEquals(0, value(m, "imagerec_balancer_worker_up{process=\"balancer\",worker=\"" + w0 + "\"}"));
    assertEquals(1, value(m, "imagerec_balancer_worker_up{process=\"balancer\",worker=\"" + w1 + "\"}"));
    assertEquals(0, value(m, "imagerec_balancer_worker_in_flight{process=\"balancer\",worker=\"" + w1 + "\"}"));
    assertTrue(value(m, "imagerec_balancer_worker_routing_latency_seconds{process=\"balancer\",worker=\"" + w1 + "\"}") > 0,
        "the worker that answered has a latency estimate");
    assertEquals(1, value(m, "imagerec_balancer_workers{process=\"balancer\",state=\"SERVING\"}"));
    assertTrue(m.contains("imagerec_balancer_forward_duration_seconds_bucket{process=\"balancer\",worker=\"" + w1 + "\",le=\"0.001\"}"));
    assertTrue(m.contains("grpc_server_processing_duration_seconds_count{method=\"Recognize\""));
    assertTrue(m.contains("jvm_threads_live_threads{"));

    cluster.balancer.pool().remove(w0, "static");
    assertFalse(scrape().contains("worker=\"" + w0 + "\""), "a removed worker's series go with it");
  }

  @Test
  void theCallersTraceContinuesThroughTheBalancerToTheWorker() {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + TRACE_ID + "-00f067aa0ba902b7-01");
    stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .recognize(RecognizeRequest.newBuilder().setRequestId("traced").build());

    List<SpanData> finished = spans.getFinishedSpanItems();
    SpanData server = finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    SpanData client = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    assertEquals(TRACE_ID, server.getTraceId());
    assertEquals("00f067aa0ba902b7", server.getParentSpanId());
    assertEquals(TRACE_ID, client.getTraceId());
    assertEquals(server.getSpanId(), client.getParentSpanId());

    String atWorker = cluster.workers.stream().map(w -> w.lastHeaders).filter(h -> h != null)
        .map(h -> h.get(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER)))
        .filter(h -> h != null).findFirst().orElseThrow(); // not the balancer's own ListModels calls
    assertTrue(atWorker.startsWith("00-" + TRACE_ID + "-" + client.getSpanId() + "-"),
        "the worker sees the balancer's client span as its parent: " + atWorker);
  }

  @Test
  void httpUploadAsMultipartFormOrRawBodyAnswersJson() throws Exception {
    HttpResponse<String> form = http.send(multipart("/image", "image", "shirt.png", new byte[] {1, 2, 3}, "top_k", "2"),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, form.statusCode(), form.body());
    assertTrue(form.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    JsonObject answer = JsonParser.parseString(form.body()).getAsJsonObject();
    assertTrue(answer.get("worker").getAsString().startsWith(cluster.workers.get(0).name.substring(0, 10)));
    assertEquals(1, answer.getAsJsonArray("classifications").size());

    HttpResponse<String> raw = http.send(HttpRequest.newBuilder(uri("/v1/recognize?request_id=r-1&model=fake"))
        .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {4, 5})).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, raw.statusCode(), raw.body());
    assertEquals("r-1", JsonParser.parseString(raw.body()).getAsJsonObject().get("request_id").getAsString());
  }

  @Test
  void theHttpPortServesThePageAndItsReadOnlyApi() throws Exception {
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
    assertTrue(page.body().contains("src=\"app.js\""));
    for (String file : new String[] {"/app.js", "/style.css"}) {
      assertEquals(200, http.send(HttpRequest.newBuilder(uri(file)).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode(), file);
    }
    stub.recognize(RecognizeRequest.newBuilder().setRequestId("one").build());
    stub.recognize(RecognizeRequest.newBuilder().setRequestId("two").build());
    JsonObject info = getJson("/api/info");
    assertEquals(MAX_BODY, info.get("max_upload_bytes").getAsInt());
    assertFalse(info.get("token_required").getAsBoolean());
    for (FakeWorker w : cluster.workers) {
      w.catalog = imagerec.v1.ListModelsResponse.newBuilder().setDefaultModel("fake")
          .addModels(imagerec.v1.ModelInfo.newBuilder().setName("fake").setVersion("1")).build();
    }
    cluster.balancer.refreshCatalogs();
    Await.until(() -> cluster.balancer.registry().snapshot().all().stream().allMatch(e -> e.catalog() != null),
        Duration.ofSeconds(5), "the workers' models known");
    assertEquals("fake", getJson("/api/models").get("default_model").getAsString());
    assertEquals(2, getJson("/api/workers").getAsJsonArray("workers").size());
    long until = System.nanoTime() + 5_000_000_000L;
    long counted = 0;
    while (counted < 2 && System.nanoTime() < until) { // the calls show once their second is whole
      Thread.sleep(100);
      counted = 0;
      for (var second : getJson("/api/stats").getAsJsonArray("seconds")) {
        counted += second.getAsJsonObject().get("calls").getAsLong();
      }
    }
    assertEquals(2, counted, "the last minute counts both recognitions");
    assertEquals(404, http.send(HttpRequest.newBuilder(uri("/api/nothing")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(405, http.send(HttpRequest.newBuilder(uri("/api/stats")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  private JsonObject getJson(String path) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), path + ": " + response.body());
    return JsonParser.parseString(response.body()).getAsJsonObject();
  }

  @Test
  void httpErrorsComeAsJsonWithTheMatchingStatus() throws Exception {
    assertError(400, "INVALID_ARGUMENT", post("/v1/recognize?model=fail:INVALID_ARGUMENT", new byte[] {1}));
    assertError(404, "NOT_FOUND", post("/v1/recognize?model=fail:NOT_FOUND", new byte[] {1}));
    HttpResponse<String> shed = post("/v1/recognize?model=fail:RESOURCE_EXHAUSTED", new byte[] {1});
    assertError(429, "RESOURCE_EXHAUSTED", shed);
    assertEquals("1", shed.headers().firstValue("Retry-After").orElse(""));
    assertError(400, "INVALID_ARGUMENT", post("/v1/recognize?top_k=many", new byte[] {1}));
    assertError(413, "PAYLOAD_TOO_LARGE", post("/v1/recognize", new byte[MAX_BODY + 1]));
    assertError(413, "PAYLOAD_TOO_LARGE", http.send(multipart("/image", "image", "big.png", new byte[MAX_BODY + 1], "x", "y"),
        HttpResponse.BodyHandlers.ofString()));
    assertError(400, "INVALID_ARGUMENT", http.send(multipart("/image", "picture", "a.png", new byte[] {1}, "x", "y"),
        HttpResponse.BodyHandlers.ofString()));
    HttpResponse<String> unsupported = post("/image", new byte[] {1});
    assertError(415, "UNSUPPORTED_MEDIA_TYPE", unsupported);
    assertTrue(unsupported.body().contains("'image' (curl -F image=@file)"), "not HTML-escaped: " + unsupported.body());
    assertError(405, "METHOD_NOT_ALLOWED", http.send(HttpRequest.newBuilder(uri("/image")).GET().build(),
        HttpResponse.BodyHandlers.ofString()));
    assertError(404, "NOT_FOUND", post("/upload", new byte[] {1}));
    for (FakeWorker w : cluster.workers) {
      w.setServing(false);
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!cluster.balancer.registry().snapshot().healthy().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertError(503, "UNAVAILABLE", post("/v1/recognize", new byte[] {1}));
  }

  private HttpResponse<String> post(String path, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(int code, String status, HttpResponse<String> response) {
    assertEquals(code, response.statusCode(), response.body());
    JsonObject error = JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("error");
    assertEquals(code, error.get("code").getAsInt());
    assertEquals(status, error.get("status").getAsString());
    assertFalse(error.get("message").getAsString().isBlank());
  }

  private HttpRequest multipart(String path, String field, String filename, byte[] content, String textField,
                                String textValue) {
    String boundary = "----imagerec-test-boundary";
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + textField + "\"\r\n\r\n"
        + textValue + "\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\""
        + filename + "\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return HttpRequest.newBuilder(uri(path)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + cluster.balancer.httpPort() + path);
  }

  private String scrape() throws Exception {
    return Prometheus.scrape(cluster.balancer.metricsPort());
  }

}
