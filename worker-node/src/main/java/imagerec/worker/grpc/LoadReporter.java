package imagerec.worker.grpc;

import imagerec.grpc.WireHeaders;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * Counts the calls in progress on the worker and reports load in the trailers of every call it
 * intercepts, so a balancer can weigh workers by what they say and not only by what it sent:
 * {@code imagerec-in-flight} (calls in progress, this one included), {@code imagerec-queue-depth}
 * (images waiting for inference, over all models) and {@code imagerec-queue-capacity} (how many
 * may wait, over all models; a depth at capacity means the next image is refused). Thread-safe.
 */
public final class LoadReporter implements ServerInterceptor {

  private final AtomicInteger inFlight = new AtomicInteger();

  private final IntSupplier queueDepth;
  private final IntSupplier queueCapacity;

  public LoadReporter(IntSupplier queueDepth, IntSupplier queueCapacity) {
    this.queueDepth = queueDepth;
    this.queueCapacity = queueCapacity;
  }

  /** Calls in progress now. */
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                               ServerCallHandler<ReqT, RespT> next) {
    inFlight.incrementAndGet();
    AtomicBoolean counted = new AtomicBoolean(true); // until the call closes, completes or is cancelled
    Runnable finish = () -> {
      if (counted.compareAndSet(true, false)) {
        inFlight.decrementAndGet();
      }
    };
    ServerCall<ReqT, RespT> reporting = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        trailers.put(WireHeaders.IN_FLIGHT, Integer.toString(inFlight.get()));
        trailers.put(WireHeaders.QUEUE_DEPTH, Integer.toString(queueDepth.getAsInt()));
        trailers.put(WireHeaders.QUEUE_CAPACITY, Integer.toString(queueCapacity.getAsInt()));
        finish.run();
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(reporting, headers);
    } catch (RuntimeException e) {
      finish.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        finish.run();
        super.onCancel();
      }

      @Override
      public void onComplete() {
        finish.run();
        super.onComplete();
      }
    };
  }
}
