package imagerec.worker.grpc;

import imagerec.observability.AccessLog;
import imagerec.observability.Tracing;
import imagerec.worker.engine.Inference;
import imagerec.worker.engine.Recognition;
import imagerec.worker.metrics.WorkerMetrics;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.concurrent.TimeUnit;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * What the worker records about each image it answers: metrics always, a span (with child spans
 * for decode, queue and inference) when tracing is on, an access-log line when that is on.
 * {@link #start} at arrival, then exactly one of {@link Observation#succeeded} or
 * {@link Observation#failed}; both may run on any thread.
 */
final class RecognitionObserver {
  private final WorkerMetrics metrics;
  private final Tracing tracing;
  private final AccessLog accessLog;
  private final String workerName;
  private final String defaultModel;

  RecognitionObserver(WorkerMetrics metrics, Tracing tracing, AccessLog accessLog, String workerName,
                      String defaultModel) {
    this.metrics = metrics;
    this.tracing = tracing;
    this.accessLog = accessLog;
    this.workerName = workerName;
    this.defaultModel = defaultModel;
  }

  /** An image arrives, through {@code method} ("Recognize" or "RecognizeStream"). */
  Observation start(String method, String requestId, String model) {
    Span span = null;
    if (tracing.enabled()) {
      span = tracing.tracer().spanBuilder("imagerec.recognize").setParent(Context.current())
          .setAttribute("imagerec.request_id", requestId).startSpan();
    }
    return new Observation(method, requestId, model.isEmpty() ? defaultModel : model, span, System.nanoTime());
  }

  final class Observation {
    private final String method;
    private final String requestId;
    private final String model;
    private final Span span;
    private final long startNanos;

    private Observation(String method, String requestId, String model, Span span, long startNanos) {
      this.method = method;
      this.requestId = requestId;
      this.model = model;
      this.span = span;
      this.startNanos = startNanos;
    }

    void succeeded(Recognition r) {
      metrics.recognized(r);
      if (span != null) {
        span.setAttribute("imagerec.model", r.model());
        span.setAttribute("imagerec.model_version", r.modelVersion());
        span.setAttribute("imagerec.batch_size", r.batchSize());
        stageSpans(r);
        span.end();
      }
      if (accessLog.enabled()) {
        withTraceId(accessLog.entry(method, requestId, Status.Code.OK, System.nanoTime() - startNanos)
            .addKeyValue("model", r.model())
            .addKeyValue("version", r.modelVersion())
            .addKeyValue("worker", workerName)
            .addKeyValue("batch_size", r.batchSize())
            .addKeyValue("decode_ms", AccessLog.millis(r.decodeNanos()))
            .addKeyValue("queue_ms", AccessLog.millis(r.queueNanos()))
            .addKeyValue("inference_ms", AccessLog.millis(r.inferenceNanos())))
            .log();
      }
    }

    /** An Open Inference Protocol request of one or more images succeeded. */
    void inferred(Inference r) {
      long nanos = System.nanoTime() - startNanos;
      metrics.inferred(r.model(), r.outputs().size(), nanos);
      if (span != null) {
        span.setAttribute("imagerec.model", r.model());
        span.setAttribute("imagerec.model_version", r.version());
        span.setAttribute("imagerec.images", r.outputs().size());
        span.end();
      }
      if (accessLog.enabled()) {
        withTraceId(accessLog.entry(method, requestId, Status.Code.OK, nanos)
            .addKeyValue("model", r.model())
            .addKeyValue("version", r.version())
            .addKeyValue("worker", workerName)
            .addKeyValue("images", r.outputs().size()))
            .log();
      }
    }

    void failed(Status status) {
      metrics.failed(model, status.getCode().name());
      if (span != null) {
        span.setStatus(StatusCode.ERROR, status.getCode().name());
        span.setAttribute("rpc.grpc.status_code", status.getCode().value());
        span.end();
      }
      if (accessLog.enabled()) {
        withTraceId(accessLog.entry(method, requestId, status.getCode(), System.nanoTime() - startNanos)
            .addKeyValue("model", model)
            .addKeyValue("worker", workerName)
            .addKeyValue("error", status.getDescription()))
            .log();
      }
    }

    private LoggingEventBuilder withTraceId(LoggingEventBuilder line) {
      return span == null ? line : line.addKeyValue("trace_id", span.getSpanContext().getTraceId());
    }

    /** Decode, then queue, then inference, laid end to end up to now. */
    private void stageSpans(Recognition r) {
      Tracer tracer = tracing.tracer();
      Context parent = Context.root().with(span);
      long end = System.currentTimeMillis() * 1_000_000L;
      long inferenceStart = end - r.inferenceNanos();
      long queueStart = inferenceStart - r.queueNanos();
      long decodeStart = queueStart - r.decodeNanos();
      child(tracer, parent, "decode", decodeStart, queueStart);
      child(tracer, parent, "queue", queueStart, inferenceStart);
      child(tracer, parent, "inference", inferenceStart, end);
    }

    private void child(Tracer tracer, Context parent, String name, long startEpochNanos, long endEpochNanos) {
      tracer.spanBuilder(name).setParent(parent).setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
          .startSpan().end(endEpochNanos, TimeUnit.NANOSECONDS);
    }
  }
}
