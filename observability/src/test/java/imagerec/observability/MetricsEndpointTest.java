package imagerec.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesJvmGrpcAndOwnMetricsInPrometheusFormat() throws Exception {
    try (ProcessMetrics metrics = new ProcessMetrics("test");
         MetricsEndpoint endpoint = MetricsEndpoint.start(metrics, "127.0.0.1", 0)) {
      Counter.builder("imagerec.test.things").tag("kind", "a").register(metrics.registry()).increment(3);
      String name = InProcessServerBuilder.generateName();
      Server server = InProcessServerBuilder.forName(name).directExecutor()
          .addService(new HealthStatusManager().getHealthService())
          .intercept(metrics.grpcServerInterceptor())
          .build().start();
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      try {
        HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
      } finally {
        channel.shutdownNow();
        server.shutdownNow();
      }

      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      String body = response.body();
      assertTrue(body.contains("imagerec_test_things_total{kind=\"a\",process=\"test\"} 3.0"), body);
      assertTrue(body.contains("jvm_memory_used_bytes{"), "JVM metrics");
      assertTrue(body.contains("process_cpu_usage{"), "process metrics");
      assertTrue(body.contains("grpc_server_processing_duration_seconds_count{method=\"Check\",methodType=\"UNARY\","
          + "process=\"test\",service=\"grpc.health.v1.Health\",statusCode=\"OK\"} 1"), body);
      assertTrue(body.contains("grpc_server_processing_duration_seconds_bucket{method=\"Check\",methodType=\"UNARY\","
          + "process=\"test\",service=\"grpc.health.v1.Health\",statusCode=\"OK\",le=\"0.001\"}"),
          "timers get the fixed latency buckets");
    }
  }

  @Test
  void answersOpenMetricsWhenAskedAndRefusesOtherMethodsAndPaths() throws Exception {
    try (ProcessMetrics metrics = new ProcessMetrics("test");
         MetricsEndpoint endpoint = MetricsEndpoint.start(metrics, "127.0.0.1", 0)) {
      URI uri = URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics");
      HttpResponse<String> open = http.send(HttpRequest.newBuilder(uri)
          .header("Accept", "application/openmetrics-text; version=1.0.0").build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(open.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
      assertTrue(open.body().endsWith("# EOF\n"), "OpenMetrics ends with # EOF");

      HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      HttpResponse<String> other = http.send(HttpRequest.newBuilder(uri.resolve("/other")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, other.statusCode());
    }
  }
}
