package imagerec.observability;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * Starts a server span per call from the caller's W3C trace context, makes it current (and its
 * trace id the logging context's {@code trace_id}) in every callback of the call, and ends it once
 * with the call's status. Server-side errors (the codes OpenTelemetry's conventions count as a
 * server's fault) mark the span as failed.
 */
final class TracingServerInterceptor implements ServerInterceptor {
  private final Tracing tracing;

  TracingServerInterceptor(Tracing tracing) {
    this.tracing = tracing;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                               ServerCallHandler<ReqT, RespT> next) {
    MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
    Context parent = tracing.propagator().extract(Context.root(), headers, Tracing.GETTER);
    Span span = tracing.tracer().spanBuilder(method.getFullMethodName())
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute(Tracing.RPC_SYSTEM, "grpc")
        .setAttribute(Tracing.RPC_SERVICE, method.getServiceName() == null ? "" : method.getServiceName())
        .setAttribute(Tracing.RPC_METHOD, method.getBareMethodName() == null ? "" : method.getBareMethodName())
        .startSpan();
    Context context = parent.with(span);
    AtomicBoolean ended = new AtomicBoolean();
    ServerCall<ReqT, RespT> traced = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        end(span, ended, status);
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<ReqT> listener = within(context, span, () -> next.startCall(traced, headers));
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(ReqT message) {
        within(context, span, () -> {
          super.onMessage(message);
          return null;
        });
      }

      @Override
      public void onHalfClose() {
        within(context, span, () -> {
          super.onHalfClose();
          return null;
        });
      }

      @Override
      public void onCancel() {
        end(span, ended, Status.CANCELLED.withDescription("cancelled by the client"));
        within(context, span, () -> {
          super.onCancel();
          return null;
        });
      }

      @Override
      public void onComplete() {
        within(context, span, () -> {
          super.onComplete();
          return null;
        });
      }

      @Override
      public void onReady() {
        within(context, span, () -> {
          super.onReady();
          return null;
        });
      }
    };
  }

  private static <T> T within(Context context, Span span, Supplier<T> body) {
    String previous = MDC.get("trace_id");
    MDC.put("trace_id", span.getSpanContext().getTraceId());
    try (Scope ignored = context.makeCurrent()) {
      return body.get();
    } finally {
      if (previous == null) {
        MDC.remove("trace_id");
      } else {
        MDC.put("trace_id", previous);
      }
    }
  }

  private static void end(Span span, AtomicBoolean ended, Status status) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    span.setAttribute(Tracing.RPC_STATUS, status.getCode().value());
    if (isServerError(status.getCode())) {
      span.setStatus(StatusCode.ERROR, status.getDescription() == null ? status.getCode().name()
          : status.getCode() + ": " + status.getDescription());
    }
    span.end();
  }

  /** The codes OpenTelemetry's RPC conventions count as a server's failure. */
  static boolean isServerError(Status.Code code) {
    return switch (code) {
      case UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS -> true;
      default -> false;
    };
  }
}
