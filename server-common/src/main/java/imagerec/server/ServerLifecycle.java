package imagerec.server;

import io.grpc.Server;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a started server process does until it ends, the same for the balancer and a worker: it
 * serves until {@link #close()}, which stops it once whoever calls it first (the shutdown hook on
 * SIGTERM, a failed start, a test) and in whatever state it is.
 */
public abstract class ServerLifecycle implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerLifecycle.class);
  /** How long cancelled calls get to end once the grace period is over. */
  private static final Duration CANCELLED_CALLS = Duration.ofSeconds(5);
  /**
   * How long no call may run, once the server stopped taking calls, before those left (the ones the
   * count leaves out, such as health watches) are cancelled. A client that sent a call before it
   * read the server's GOAWAY still has it accepted; cancelling the moment the count first read 0
   * cancelled such a call now and then (a worker SIGTERMed under load: one CANCELLED in CI).
   */
  static final Duration QUIET = Duration.ofMillis(250);

  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Stops serving and releases everything; called once. */
  protected abstract void stop();

  /** Stops the server and everything it holds, once; later calls return at once. */
  @Override
  public final void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      stop();
    } finally {
      stopped.countDown();
    }
  }

  /** Blocks until {@link #close()} has stopped the server and released what it held. */
  public void awaitTermination() throws InterruptedException {
    stopped.await();
  }

  /** Serves until SIGTERM or SIGINT, on which the JVM's shutdown hook closes the server; returns exit code 0. */
  public int serveUntilSignalled() throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "shutdown"));
    awaitTermination();
    return 0;
  }

  /**
   * Stops {@code server} taking calls, gives those in flight {@code grace} to finish, then cancels
   * the rest. Waits only while {@code callsRunning} says so, and until it has said no for
   * {@link #QUIET}: calls that never end by themselves (a health watch) then need not hold the
   * server for the whole grace period, and work the server does not see (HTTP requests) can be
   * waited for as well.
   */
  protected static void stopServing(Server server, Duration grace, BooleanSupplier callsRunning) {
    server.shutdown();
    try {
      long until = System.nanoTime() + grace.toNanos();
      long quietSince = System.nanoTime();
      while (System.nanoTime() < until) {
        if (callsRunning.getAsBoolean()) {
          quietSince = System.nanoTime();
        } else if (System.nanoTime() - quietSince >= QUIET.toNanos()) {
          break;
        }
        if (server.awaitTermination(20, TimeUnit.MILLISECONDS)) {
          if (!callsRunning.getAsBoolean()) {
            break; // every transport is closed: no call can arrive any more
          }
          Thread.sleep(20); // the server is done; what else runs is not
        }
      }
      if (callsRunning.getAsBoolean()) {
        log.warn("calls still running after the grace period of {}; cancelling them", grace);
      }
      server.shutdownNow();
      server.awaitTermination(CANCELLED_CALLS.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
