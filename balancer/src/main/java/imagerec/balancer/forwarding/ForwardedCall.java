package imagerec.balancer.forwarding;

import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.grpc.WireHeaders;
import imagerec.observability.Tracing;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request forwarded to a worker as a unary call, retried on another worker when an attempt
 * fails with UNAVAILABLE (worker gone, starting or draining; connection refused or lost) and the
 * retry budget allows it. The worker's answer is passed on only with its OK status, so nothing
 * has reached the client when an attempt fails, and any failed attempt may be retried.
 *
 * <p>The picked worker's in-flight count goes up when an attempt starts and down exactly once when
 * it ends; the outcome feeds the outlier detector, a RESOURCE_EXHAUSTED marks the worker as full
 * for its pushback time, and the load the worker reports in trailers is recorded. The caller's
 * deadline applies to the whole call, retries included. Callbacks to the {@link Listener} come
 * from gRPC threads, one at a time, and {@link Listener#onClose} exactly once.
 */
final class ForwardedCall implements Forwarded {
  /** Receives the outcome. */
  interface Listener {
    void onResponse(byte[] response);

    void onClose(Status status, Metadata trailers);
  }

  private static final long DEFAULT_PUSHBACK_MS = 100;
  private static final long MAX_PUSHBACK_MS = 2_000;
  /** A client's cancel this close to the call's deadline counts as the deadline (see {@link #deadlineReached}). */
  static final long DEADLINE_SLACK_MS = 50;

  private final Forwarder forwarder;
  private final MethodDescriptor<byte[], byte[]> method;
  private final byte[] request;
  private final String model;
  private final String version;
  private final Metadata headers;
  private final Deadline deadline;
  private final Listener listener;
  private final String cacheOutcome;
  private final List<WorkerEndpoint> tried = new ArrayList<>(2);
  private final Context traceParent;
  private final long startNanos;
  private volatile ClientCall<byte[], byte[]> current;
  private volatile boolean cancelled;

  /**
   * @param model the model the request is for ("" when it is not about one model, or none is known)
   * @param version the version it asks for, or ""
   * @param cacheOutcome what the response cache made of it, for the access log ("" when not looked up)
   */
  ForwardedCall(Forwarder forwarder, MethodDescriptor<byte[], byte[]> method, byte[] request, String model,
                String version, Metadata headers, Deadline deadline, String cacheOutcome, Listener listener) {
    this.forwarder = forwarder;
    this.startNanos = forwarder.outliers.now(); // the routing clock, for the call and its attempts alike
    this.method = method;
    this.request = request;
    this.model = model;
    this.version = version;
    this.headers = headers;
    this.deadline = deadline;
    this.listener = listener;
    this.cacheOutcome = cacheOutcome;
    this.traceParent = forwarder.tracing.enabled() ? Context.current() : null; // the server call's span
  }

  @Override
  public void start() {
    forwarder.retryBudget.onCall();
    attempt(null);
  }

  /** Ends the call: the listener hears it, and the access log when it is on. */
  private void finish(Status status, Metadata trailers) {
    long nanos = forwarder.outliers.now() - startNanos;
    forwarder.observer.callEnded(method.getBareMethodName(), status.getCode(), nanos);
    forwarder.logCall(method, request, model, status, nanos, tried.isEmpty() ? "" : tried.get(tried.size() - 1).address(),
        tried.size(), traceParent, cacheOutcome);
    listener.onClose(status, trailers);
  }

  /**
   * Whether the call's deadline has passed, or is so near that a client's cancel is its deadline
   * firing: the client starts the deadline's clock before sending the call, the balancer on
   * receiving it, so the client's timer fires first and its cancel arrives while the balancer's
   * copy of the deadline still has the transit time left. Without the slack a hung worker's calls
   * were mostly counted as the clients' own cancels, and it was not ejected.
   */
  private boolean deadlineReached() {
    return deadline != null && deadline.timeRemaining(TimeUnit.MILLISECONDS) <= DEADLINE_SLACK_MS;
  }

  /** Cancels the worker call (the client went away); the listener then gets CANCELLED. */
  @Override
  public void cancel() {
    cancelled = true;
    ClientCall<byte[], byte[]> call = current;
    if (call != null) {
      call.cancel("client cancelled", null);
    }
  }

  private void attempt(Status previousFailure) {
    if (deadline != null && deadline.isExpired()) {
      finish(Status.DEADLINE_EXCEEDED.withDescription("deadline passed in the balancer"
          + (previousFailure == null ? "" : " after: " + previousFailure.getDescription())), new Metadata());
      return;
    }
    List<WorkerEndpoint> healthy = forwarder.registry.snapshot().healthy();
    List<WorkerEndpoint> serving = Forwarder.serving(healthy, model, version);
    WorkerEndpoint worker = forwarder.picker.pick(serving, tried, forwarder.outliers.now());
    if (worker == null) {
      if (previousFailure == null && serving.isEmpty() && !healthy.isEmpty()) {
        finish(Status.NOT_FOUND.withDescription("no worker serves model '" + model + "'"
            + (version.isEmpty() ? "" : " version " + version) + "; the workers serve: " + served(healthy)),
            new Metadata());
        return;
      }
      finish(previousFailure != null ? previousFailure
          : Status.UNAVAILABLE.withDescription("no healthy worker available; check the workers "
              + "with 'imagerec workers' or the balancer's log"), new Metadata());
      return;
    }
    tried.add(worker);
    worker.callStarted();
    long attemptStart = forwarder.outliers.now();
    Metadata attemptHeaders = headers;
    Span span = Span.getInvalid();
    if (traceParent != null) {
      attemptHeaders = new Metadata(); // the caller's headers, with this attempt's span as the parent
      attemptHeaders.merge(headers);
      span = forwarder.tracing.startClientSpan(method.getFullMethodName(), worker.address(), traceParent,
          attemptHeaders);
    }
    Span attemptSpan = span;
    CallOptions options = deadline == null ? forwarder.callOptions : forwarder.callOptions.withDeadline(deadline);
    ClientCall<byte[], byte[]> call = worker.channel().newCall(method, options);
    current = call;
    call.start(new ClientCall.Listener<>() {
      // the answer is held until the worker's status arrives: a connection lost between the two
      // then leaves the client with nothing yet, so the call can still be retried elsewhere
      private byte[] response;

      @Override
      public void onMessage(byte[] message) {
        response = message;
      }

      @Override
      public void onClose(Status reported, Metadata trailers) {
        Status status = connectionLossAsUnavailable(reported);
        // a call cancelled because its deadline passed is the worker's failure to answer in time
        // (how a hung worker shows: it never answers, and only the deadline ends its calls); a
        // call the client itself cancelled says nothing about the worker
        boolean workerFailure = cancelled ? deadlineReached() : isWorkerFailure(status);
        long now = forwarder.outliers.now();
        long attemptNanos = now - attemptStart;
        worker.callFinished(workerFailure);
        if (status.isOk()) {
          worker.recordLatency(attemptNanos, now);
        }
        forwarder.outliers.onResult(worker, workerFailure);
        recordLoad(worker, status, trailers);
        forwarder.observer.attemptEnded(worker, status.getCode(), attemptNanos);
        Tracing.endClientSpan(attemptSpan, status);
        boolean retry = !cancelled && status.getCode() == Status.Code.UNAVAILABLE
            && tried.size() < forwarder.maxAttempts && forwarder.retryBudget.tryRetry();
        if (retry) {
          forwarder.observer.retried(status.getCode());
          attempt(status.augmentDescription("worker " + worker.address()));
        } else {
          if (status.isOk() && response != null) {
            listener.onResponse(response);
          }
          finish(status, trailers);
        }
      }
    }, attemptHeaders);
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    if (cancelled) {
      call.cancel("client cancelled", null);
    }
  }

  /** The models and versions the {@code workers} serve, for an error message. */
  private static String served(List<WorkerEndpoint> workers) {
    java.util.TreeSet<String> names = new java.util.TreeSet<>();
    for (WorkerEndpoint e : workers) {
      if (e.catalog() != null) {
        e.catalog().names().forEach(n -> names.add(n + " version " + e.catalog().versionOf(n)));
      }
    }
    return String.join(", ", names);
  }

  private void recordLoad(WorkerEndpoint worker, Status status, Metadata trailers) {
    Integer inFlight = parse(trailers.get(WireHeaders.IN_FLIGHT));
    Integer queueDepth = parse(trailers.get(WireHeaders.QUEUE_DEPTH));
    if (inFlight != null && queueDepth != null) {
      Integer capacity = parse(trailers.get(WireHeaders.QUEUE_CAPACITY));
      worker.reportLoad(inFlight, queueDepth, capacity == null ? 0 : capacity, forwarder.outliers.now());
    }
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      Integer pushback = parse(trailers.get(WireHeaders.RETRY_AFTER_MS));
      long ms = pushback == null || pushback < 0 ? DEFAULT_PUSHBACK_MS : Math.min(pushback, MAX_PUSHBACK_MS);
      worker.markOverloaded(forwarder.outliers.now() + TimeUnit.MILLISECONDS.toNanos(ms));
    }
  }

  private static Integer parse(String value) {
    if (value == null) {
      return null;
    }
    try {
      return Integer.valueOf(value.strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * A connection to the worker lost while a call was being written, which grpc-java reports as
   * UNKNOWN "channel closed" with a {@link ClosedChannelException} cause instead of UNAVAILABLE
   * (grpc/grpc-java#10120, seen here when connections to a worker are reset), is UNAVAILABLE: the
   * call is then retried on another worker like any other lost connection, and a client whose call
   * cannot be retried hears UNAVAILABLE, not UNKNOWN. Any other status is returned unchanged.
   */
  static Status connectionLossAsUnavailable(Status status) {
    if (status.getCode() != Status.Code.UNKNOWN) {
      return status;
    }
    Throwable t = status.getCause();
    for (int depth = 0; t != null && depth < 8; t = t.getCause(), depth++) { // a cause chain may loop
      if (t instanceof ClosedChannelException) {
        return Status.UNAVAILABLE.withDescription("connection to the worker lost (" + status.getDescription() + ")")
            .withCause(status.getCause());
      }
    }
    return status;
  }

  /** Failures that say something about the worker, not about the request. */
  private static boolean isWorkerFailure(Status status) {
    return switch (status.getCode()) {
      case UNAVAILABLE, INTERNAL, UNKNOWN, DEADLINE_EXCEEDED, DATA_LOSS -> true;
      default -> false;
    };
  }
}
