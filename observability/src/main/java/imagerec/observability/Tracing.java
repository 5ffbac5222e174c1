package imagerec.observability;

import io.grpc.Metadata;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing for one process, configured the standard way ({@code OTEL_*} environment
 * variables or {@code otel.*} system properties, e.g. {@code OTEL_TRACES_EXPORTER=otlp} and
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318}; OTLP goes over HTTP/protobuf, the
 * specification's default; {@code OTEL_TRACES_EXPORTER=logging} writes spans to the log). The exporter is off by default: then no span is made and
 * the W3C {@code traceparent} header a client sends passes through the balancer to the worker
 * unchanged. With an exporter, every call gets a server span continuing the caller's trace, the
 * balancer a client span per attempt, and the worker a span per image with its stages.
 */
public final class Tracing implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);

  static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<Long> RPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");

  static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      return carrier == null ? null : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  static final TextMapSetter<Metadata> SETTER = (carrier, key, value) -> {
    Metadata.Key<String> k = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
    carrier.discardAll(k);
    carrier.put(k, value);
  };

  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk sdk; // null when disabled or given from outside
  private final boolean enabled;

  /** Tracing with a given OpenTelemetry (tests pass an SDK with an in-memory exporter). */
  public Tracing(OpenTelemetry openTelemetry, boolean enabled) {
    this(openTelemetry, null, enabled);
  }

  private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk sdk, boolean enabled) {
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
    this.enabled = enabled;
  }

  /** No spans; headers pass through untouched. */
  public static Tracing disabled() {
    return new Tracing(OpenTelemetry.noop(), null, false);
  }

  /**
   * Tracing as the {@code OTEL_*} settings say, for the service {@code serviceName} (the default
   * of {@code OTEL_SERVICE_NAME}); off unless a traces exporter is named.
   */
  public static Tracing fromEnvironment(String serviceName) {
    return fromSettings(serviceName, System::getenv, System::getProperty);
  }

  static Tracing fromSettings(String serviceName, Function<String, String> env, Function<String, String> props) {
    String exporter = setting("otel.traces.exporter", env, props, "none");
    boolean disabled = Boolean.parseBoolean(setting("otel.sdk.disabled", env, props, "false"));
    if (disabled || exporter.strip().equalsIgnoreCase("none")) {
      return disabled();
    }
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", serviceName,
            "otel.traces.exporter", exporter,
            // the specification's default protocol, sent by the JDK's HTTP client (port 4318)
            "otel.exporter.otlp.protocol", "http/protobuf",
            "otel.metrics.exporter", "none", // metrics go to Prometheus
            "otel.logs.exporter", "none"))
        .disableShutdownHook() // closed by the process, after its last call
        .build()
        .getOpenTelemetrySdk();
    log.info("tracing on: exporter {}, service {}", exporter, setting("otel.service.name", env, props, serviceName));
    return new Tracing(sdk, sdk, true);
  }

  private static String setting(String property, Function<String, String> env, Function<String, String> props,
                                String fallback) {
    String value = props.apply(property);
    if (value == null) {
      value = env.apply(property.toUpperCase(Locale.ROOT).replace('.', '_'));
    }
    return value == null || value.isBlank() ? fallback : value;
  }

  /** Whether spans are made and exported. */
  public boolean enabled() {
    return enabled;
  }

  public Tracer tracer() {
    return openTelemetry.getTracer("imagerec");
  }

  TextMapPropagator propagator() {
    return openTelemetry.getPropagators().getTextMapPropagator();
  }

  /**
   * A server span for every call, continuing the caller's trace and current while the call's
   * callbacks run (with {@code trace_id} in the logging context); null when tracing is off.
   */
  public ServerInterceptor serverInterceptor() {
    return enabled ? new TracingServerInterceptor(this) : null;
  }

  /**
   * Starts a client span for a call to {@code peer}, child of {@code parent}, and writes its
   * context into {@code headers} (replacing any {@code traceparent} there); returns an invalid
   * span, and leaves the headers alone, when tracing is off.
   */
  public Span startClientSpan(String fullMethodName, String peer, Context parent, Metadata headers) {
    if (!enabled) {
      return Span.getInvalid();
    }
    int slash = fullMethodName.lastIndexOf('/');
    Span span = tracer().spanBuilder(fullMethodName)
        .setParent(parent)
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute(RPC_SYSTEM, "grpc")
        .setAttribute(RPC_SERVICE, fullMethodName.substring(0, Math.max(0, slash)))
        .setAttribute(RPC_METHOD, fullMethodName.substring(slash + 1))
        .setAttribute("server.address", peer)
        .startSpan();
    propagator().inject(parent.with(span), headers, SETTER);
    return span;
  }

  /** Ends a span from {@link #startClientSpan}: failed unless the call ended OK. */
  public static void endClientSpan(Span span, io.grpc.Status status) {
    if (!span.getSpanContext().isValid()) {
      return;
    }
    span.setAttribute(RPC_STATUS, status.getCode().value());
    if (!status.isOk()) {
      span.setStatus(StatusCode.ERROR, status.getCode().name());
    }
    span.end();
  }

  @Override
  public void close() {
    if (sdk != null) {
      sdk.close();
    }
  }
}
