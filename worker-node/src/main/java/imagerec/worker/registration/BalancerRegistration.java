package imagerec.worker.registration;

import imagerec.security.BearerToken;
import imagerec.security.ConnectionLimits;
import imagerec.v1.LoadReport;
import imagerec.v1.RegisterRequest;
import imagerec.v1.RegisterResponse;
import imagerec.v1.WorkerRegistrationGrpc;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this worker registered with a balancer: a long-lived {@code WorkerRegistration/Register}
 * stream announcing the worker's address and models, then a load report every interval. A broken
 * stream is re-opened with a growing backoff (1 s to 10 s); {@link #close()} ends it, which takes
 * the worker out of the balancer's rotation. Runs on the given scheduler (owned by the caller).
 */
public final class BalancerRegistration implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BalancerRegistration.class);
  private static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private final String balancer;
  private final String address;
  private final Supplier<List<String>> models;
  private final Supplier<LoadReport> load;
  private final ScheduledExecutorService scheduler;
  private final Duration interval;
  private final ManagedChannel channel;
  private final CallCredentials callCredentials;
  private StreamObserver<RegisterRequest> stream;
  private ScheduledFuture<?> reports;
  private Duration backoff = MIN_BACKOFF;
  private boolean closed;

  /**
   * @param balancer the balancer's admin address (host:port)
   * @param credentials plaintext or TLS toward the balancer
   * @param token the balancer's admin token (null: none)
   * @param address this worker's address as the balancer should dial it
   */
  public BalancerRegistration(String balancer, ChannelCredentials credentials, String token, String address,
                              Supplier<List<String>> models, Supplier<LoadReport> load,
                              ScheduledExecutorService scheduler, Duration interval) {
    this.balancer = balancer;
    this.address = address;
    this.models = models;
    this.load = load;
    this.scheduler = scheduler;
    this.interval = interval;
    this.channel = ConnectionLimits.keepAlive(Grpc.newChannelBuilder(balancer, credentials)).build();
    this.callCredentials = token == null ? null : new BearerToken(token);
  }

  /** Opens the registration stream. */
  public synchronized void start() {
    if (closed) {
      return;
    }
    StreamObserver<RegisterRequest>[] self = new StreamObserver[1];
    self[0] = WorkerRegistrationGrpc.newStub(channel).withCallCredentials(callCredentials).register(new StreamObserver<>() {
      @Override
      public void onNext(RegisterResponse response) {
        synchronized (BalancerRegistration.this) {
          backoff = MIN_BACKOFF;
        }
        log.info("balancer {}: {}", balancer, response.getMessage());
      }

      @Override
      public void onError(Throwable t) {
        broken(self[0], Status.fromThrowable(t).toString());
      }

      @Override
      public void onCompleted() {
        broken(self[0], "the balancer ended the stream");
      }
    });
    stream = self[0];
    stream.onNext(RegisterRequest.newBuilder().setAddress(address).addAllModels(models.get()).setLoad(load.get()).build());
    long every = interval.toMillis();
    reports = scheduler.scheduleWithFixedDelay(this::report, every, every, TimeUnit.MILLISECONDS);
  }

  private synchronized void report() {
    if (stream != null && !closed) {
      stream.onNext(RegisterRequest.newBuilder().setLoad(load.get()).build());
    }
  }

  private synchronized void broken(StreamObserver<RegisterRequest> which, String why) {
    if (closed || which != stream) {
      return;
    }
    stream = null;
    if (reports != null) {
      reports.cancel(false);
    }
    log.warn("registration with balancer {} lost ({}); retrying in {} ms", balancer, why, backoff.toMillis());
    scheduler.schedule(this::start, backoff.toMillis(), TimeUnit.MILLISECONDS);
    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
  }

  /** Ends the registration: the balancer takes this worker out of rotation. */
  @Override
  public synchronized void close() {
    closed = true;
    if (reports != null) {
      reports.cancel(false);
    }
    if (stream != null) {
      stream.onCompleted();
      stream = null;
    }
    channel.shutdown();
  }
}
