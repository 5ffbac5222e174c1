package imagerec.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The limits on a real Netty server on loopback, observed through long-lived health Watch streams. */
class ConnectionLimitsTest {
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
        InsecureServerCredentials.create());
    new ConnectionLimits(1024, 2, Duration.ZERO, Duration.ofMinutes(1)).applyTo(builder);
    server = builder.addService(new HealthStatusManager().getHealthService()).build().start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void aMessageOverTheLimitFailsWithResourceExhaustedNamingTheLimit() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder().setService("x".repeat(2000)).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("1024"), e.getStatus().getDescription());
  }

  @Test
  void aConnectionHoldsAtMostTheStreamLimitAndTheNextCallWaitsItsTurn() throws Exception {
    List<io.grpc.Context.CancellableContext> watches = new ArrayList<>();
    for (int i = 0; i < 2; i++) { // two long-lived streams fill the connection
      CountDownLatch answered = new CountDownLatch(1);
      io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
      watches.add(context);
      context.run(() -> HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
        @Override
        public void onNext(HealthCheckResponse value) {
          answered.countDown();
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      }));
      assertTrue(answered.await(5, TimeUnit.SECONDS), "watch " + i + " is served");
    }
    var third = HealthGrpc.newFutureStub(channel).check(HealthCheckRequest.getDefaultInstance());
    Thread.sleep(500);
    assertFalse(third.isDone(), "a third call waits on the client's side");
    watches.forEach(c -> c.cancel(null));
    third.cancel(true);
  }

  @Test
  void keepaliveBelowWhatServersPermitIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new ConnectionLimits(1024, 2, Duration.ZERO, Duration.ofSeconds(1)));
  }
}
