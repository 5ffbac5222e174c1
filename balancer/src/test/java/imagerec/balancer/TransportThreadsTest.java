package imagerec.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.testing.Await;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A real Netty server and channel on loopback, both on the balancer's own event loops. */
class TransportThreadsTest {
  @Test
  void serverAndChannelRunOnItsThreadsAndCloseStopsThem() throws Exception {
    Set<String> serverThreads = ConcurrentHashMap.newKeySet();
    HealthGrpc.HealthImplBase health = new HealthGrpc.HealthImplBase() {
      @Override
      public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> answer) {
        serverThreads.add(Thread.currentThread().getName());
        answer.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
        answer.onCompleted();
      }
    };
    TransportThreads threads = new TransportThreads(1);
    Server server = threads.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))
        .directExecutor().addService(health).build().start();
    Set<String> clientThreads = ConcurrentHashMap.newKeySet();
    ManagedChannel channel = threads.applyTo(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()))
        .usePlaintext().directExecutor().build();
    try {
      for (int i = 0; i < 20; i++) {
        CountDownLatch answered = new CountDownLatch(1);
        HealthGrpc.newStub(channel).check(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse r) {
            clientThreads.add(Thread.currentThread().getName());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
          }

          @Override
          public void onError(Throwable t) {
            answered.countDown();
          }

          @Override
          public void onCompleted() {
            answered.countDown();
          }
        });
        assertTrue(answered.await(10, TimeUnit.SECONDS));
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      threads.close();
    }
    assertEquals(1, serverThreads.size(), "one event loop serves every call: " + serverThreads);
    assertTrue(serverThreads.iterator().next().startsWith("balancer-io"), serverThreads.toString());
    assertEquals(serverThreads, clientThreads, "the channel's answers arrive on the same thread");
    // these threads' names (pool number included), not any balancer-io thread: another test's
    // balancer may still be stopping its own. Netty completes the group's termination just before
    // its threads return from run(), so a thread can still be listed for a moment after close().
    Await.until(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> serverThreads.contains(t.getName())),
        Duration.ofSeconds(5), "close() stopped the threads " + serverThreads);
  }

  @Test
  void refusesNoThreadsAndDefaultsToOnePerTwoCores() {
    assertThrows(IllegalArgumentException.class, () -> new TransportThreads(0));
    assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), TransportThreads.defaultThreads());
  }
}
