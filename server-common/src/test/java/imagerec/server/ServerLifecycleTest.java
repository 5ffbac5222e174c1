package imagerec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Closing once whoever calls it, and how long a stopping server waits for its calls. */
class ServerLifecycleTest {
  @Test
  void closeStopsOnceWhateverTheCallersAndAwaitTerminationReturnsWhenItIsDone() throws Exception {
    AtomicInteger stops = new AtomicInteger();
    CountDownLatch stopping = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ServerLifecycle server = new ServerLifecycle() {
      @Override
      protected void stop() {
        stops.incrementAndGet();
        stopping.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    CompletableFuture<Void> first = CompletableFuture.runAsync(server::close);
    assertTrue(stopping.await(5, TimeUnit.SECONDS));
    server.close(); // a second caller returns at once
    CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
      try {
        server.awaitTermination();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(100);
    assertFalse(waiter.isDone(), "awaitTermination returned while stop() was still running");
    release.countDown();
    first.get(5, TimeUnit.SECONDS);
    waiter.get(5, TimeUnit.SECONDS);
    assertEquals(1, stops.get());
  }

  @Test
  void aCallThatNeverEndsIsCancelledAtOnceWhenNoCallCountsAsRunning() throws Exception {
    try (Watched watched = new Watched()) {
      long started = System.nanoTime();
      ServerLifecycle.stopServing(watched.server, Duration.ofSeconds(30), () -> false);
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "waited for the watch");
      assertTrue(watched.server.isTerminated());
      assertEquals(Status.Code.UNAVAILABLE, watched.end.get(5, TimeUnit.SECONDS).getCode(), "the watch was cut");
    }
  }

  @Test
  void callsStillRunningGetTheGracePeriodThenAreCancelled() throws Exception {
    try (Watched watched = new Watched()) {
      long started = System.nanoTime();
      ServerLifecycle.stopServing(watched.server, Duration.ofMillis(300), () -> true);
      assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(300), "did not wait the grace period");
      assertTrue(watched.server.isTerminated());
      assertEquals(Status.Code.UNAVAILABLE, watched.end.get(5, TimeUnit.SECONDS).getCode(), "the watch was cut");
    }
  }

  /** An in-process server with a health watch open on it. */
  private static final class Watched implements AutoCloseable {
    final Server server;
    final ManagedChannel channel;
    final CompletableFuture<Status> end = new CompletableFuture<>();

    Watched() throws Exception {
      String name = InProcessServerBuilder.generateName();
      server = InProcessServerBuilder.forName(name).addService(new HealthStatusManager().getHealthService())
          .build().start();
      channel = InProcessChannelBuilder.forName(name).build();
      CountDownLatch first = new CountDownLatch(1);
      HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(),
          new StreamObserver<HealthCheckResponse>() {
            @Override
            public void onNext(HealthCheckResponse value) {
              first.countDown();
            }

            @Override
            public void onError(Throwable t) {
              end.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              end.complete(Status.OK);
            }
          });
      assertTrue(first.await(5, TimeUnit.SECONDS), "the watch did not start");
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
