package imagerec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.grpc.ByteMarshaller;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
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
  void aCallArrivingJustAfterTheStopBeganIsWaitedForAndNothingIsCancelledBeforeAQuietPeriod() throws Exception {
    try (Watched watched = new Watched()) {
      long started = System.nanoTime();
      long lateFrom = started + TimeUnit.MILLISECONDS.toNanos(100); // a call the client sent before the GOAWAY
      long lateUntil = lateFrom + TimeUnit.MILLISECONDS.toNanos(100);
      ServerLifecycle.stopServing(watched.server, Duration.ofSeconds(30), () -> {
        long now = System.nanoTime();
        return now >= lateFrom && now < lateUntil;
      });
      long waited = System.nanoTime() - started;
      assertTrue(waited >= lateUntil - started + ServerLifecycle.QUIET.toNanos(),
          "cancelled before the late call and a quiet period: " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms");
      assertTrue(waited < TimeUnit.SECONDS.toNanos(10), "waited for the watch");
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

  @Test
  void aStopWaitsForTheCallsOpenCallsCountsAndAnswersThemButNotForAWatch() throws Exception {
    OpenCalls openCalls = new OpenCalls(OpenCalls.HEALTH_WATCH);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Watched watched = new Watched(openCalls, held, release)) {
      assertEquals(0, openCalls.open(), "a health watch counted");
      CompletableFuture<byte[]> answer = watched.hold();
      assertTrue(held.await(5, TimeUnit.SECONDS));
      assertEquals(1, openCalls.open());
      CompletableFuture.runAsync(() -> {
        try {
          Thread.sleep(300);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        release.countDown();
      });
      long started = System.nanoTime();
      ServerLifecycle.stopServing(watched.server, Duration.ofSeconds(30), () -> openCalls.open() > 0);
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "waited for the watch");
      assertEquals("done", new String(answer.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8),
          "the held call was cancelled instead of answered");
      assertEquals(0, openCalls.open());
      assertEquals(Status.Code.UNAVAILABLE, watched.end.get(5, TimeUnit.SECONDS).getCode(), "the watch was cut");
    }
  }

  /**
   * An in-process server with a health watch open on it, and a method {@code test/Hold} that answers
   * "done" once {@code release} is counted down.
   */
  private static final class Watched implements AutoCloseable {
    private static final MethodDescriptor<byte[], byte[]> HOLD = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test/Hold")
        .setRequestMarshaller(ByteMarshaller.INSTANCE).setResponseMarshaller(ByteMarshaller.INSTANCE).build();

    final Server server;
    final ManagedChannel channel;
    final CompletableFuture<Status> end = new CompletableFuture<>();

    Watched() throws Exception {
      this(new OpenCalls(), new CountDownLatch(1), new CountDownLatch(0));
    }

    Watched(OpenCalls openCalls, CountDownLatch held, CountDownLatch release) throws Exception {
      String name = InProcessServerBuilder.generateName();
      ServerServiceDefinition hold = ServerServiceDefinition.builder("test")
          .addMethod(HOLD, ServerCalls.asyncUnaryCall((request, answer) -> new Thread(() -> {
            held.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            answer.onNext("done".getBytes(StandardCharsets.UTF_8));
            answer.onCompleted();
          }).start()))
          .build();
      server = InProcessServerBuilder.forName(name).addStreamTracerFactory(openCalls)
          .addService(new HealthStatusManager().getHealthService()).addService(hold).build().start();
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

    /** Calls test/Hold. */
    CompletableFuture<byte[]> hold() {
      CompletableFuture<byte[]> answer = new CompletableFuture<>();
      ClientCalls.asyncUnaryCall(channel.newCall(HOLD, CallOptions.DEFAULT), new byte[0], new StreamObserver<>() {
        @Override
        public void onNext(byte[] value) {
          answer.complete(value);
        }

        @Override
        public void onError(Throwable t) {
          answer.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {}
      });
      return answer;
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
