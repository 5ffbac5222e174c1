package imagerec.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class TracingTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_SPAN = "00f067aa0ba902b7";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private final Tracing tracing = new Tracing(sdk, true);

  @AfterEach
  void close() {
    sdk.close();
  }

  @Test
  void serverSpanContinuesTheCallersTraceAndIsCurrentInTheHandler() throws Exception {
    AtomicReference<String> seenTraceId = new AtomicReference<>();
    AtomicReference<String> seenMdc = new AtomicReference<>();
    HealthGrpc.HealthImplBase service = new HealthGrpc.HealthImplBase() {
      @Override
      public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> responses) {
        seenTraceId.set(Span.current().getSpanContext().getTraceId());
        seenMdc.set(MDC.get("trace_id"));
        if (request.getService().equals("fail")) {
          responses.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
          return;
        }
        responses.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
        responses.onCompleted();
      }
    };
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, tracing.serverInterceptor())).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
          "00-" + TRACE_ID + "-" + PARENT_SPAN + "-01");
      HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      stub.check(HealthCheckRequest.getDefaultInstance());
      try {
        stub.check(HealthCheckRequest.newBuilder().setService("fail").build());
      } catch (RuntimeException expected) {
        // the span records it
      }
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }

    assertEquals(TRACE_ID, seenTraceId.get());
    assertEquals(TRACE_ID, seenMdc.get());
    assertNull(MDC.get("trace_id"), "the logging context is restored after the callback");
    List<SpanData> finished = spans.getFinishedSpanItems();
    assertEquals(2, finished.size());
    SpanData ok = finished.get(0);
    assertEquals("grpc.health.v1.Health/Check", ok.getName());
    assertEquals(SpanKind.SERVER, ok.getKind());
    assertEquals(TRACE_ID, ok.getTraceId());
    assertEquals(PARENT_SPAN, ok.getParentSpanId());
    assertEquals(0L, ok.getAttributes().get(Tracing.RPC_STATUS));
    assertEquals(StatusCode.UNSET, ok.getStatus().getStatusCode());
    SpanData failed = finished.get(1);
    assertEquals((long) Status.Code.UNAVAILABLE.value(), failed.getAttributes().get(Tracing.RPC_STATUS));
    assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
  }

  @Test
  void clientSpanIsAChildOfItsParentAndReplacesTheTraceparentHeader() {
    Span parent = tracing.tracer().spanBuilder("server").startSpan();
    Metadata headers = new Metadata();
    Metadata.Key<String> traceparent = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    headers.put(traceparent, "00-" + TRACE_ID + "-" + PARENT_SPAN + "-01");

    Span client = tracing.startClientSpan("imagerec.v1.Recognizer/Recognize", "w1:50061",
        Context.root().with(parent), headers);
    Tracing.endClientSpan(client, Status.OK);
    parent.end();

    String sent = headers.get(traceparent);
    assertEquals(1, java.util.stream.StreamSupport.stream(headers.getAll(traceparent).spliterator(), false).count());
    assertTrue(sent.startsWith("00-" + parent.getSpanContext().getTraceId() + "-" + client.getSpanContext().getSpanId() + "-"),
        sent);
    SpanData data = spans.getFinishedSpanItems().get(0);
    assertEquals(SpanKind.CLIENT, data.getKind());
    assertEquals(parent.getSpanContext().getSpanId(), data.getParentSpanId());
    assertEquals("Recognize", data.getAttributes().get(Tracing.RPC_METHOD));
  }

  @Test
  void offUnlessAnExporterIsNamedAndThenLeavesHeadersAlone() {
    Tracing off = Tracing.fromSettings("worker", Map.<String, String>of()::get, Map.<String, String>of()::get);
    assertFalse(off.enabled());
    assertNull(off.serverInterceptor());
    Metadata headers = new Metadata();
    Span span = off.startClientSpan("a/b", "peer", Context.root(), headers);
    assertFalse(span.getSpanContext().isValid());
    assertFalse(headers.keys().iterator().hasNext());

    Tracing disabledSdk = Tracing.fromSettings("worker", Map.of("OTEL_TRACES_EXPORTER", "logging",
        "OTEL_SDK_DISABLED", "true")::get, Map.<String, String>of()::get);
    assertFalse(disabledSdk.enabled());

    try (Tracing on = Tracing.fromSettings("worker", Map.of("OTEL_TRACES_EXPORTER", "logging")::get,
        Map.<String, String>of()::get)) {
      assertTrue(on.enabled());
    }
    try (Tracing otlp = Tracing.fromSettings("worker", Map.<String, String>of()::get,
        Map.of("otel.traces.exporter", "otlp")::get)) {
      assertTrue(otlp.enabled(), "OTLP over HTTP needs no other sender on the class path");
    }
  }

  @Test
  void logFormatAcceptsTextAndJsonOnly() {
    assertNull(Logging.checkFormat(null));
    assertNull(Logging.checkFormat("json"));
    assertNull(Logging.checkFormat("text"));
    assertTrue(Logging.checkFormat("JSON").contains("IMAGEREC_LOG_FORMAT"));
    assertTrue(Logging.checkFormat("xml").contains("'xml'"));
  }
}
