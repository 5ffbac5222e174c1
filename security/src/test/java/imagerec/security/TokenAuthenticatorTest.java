package imagerec.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenAuthenticatorTest {
  private final AtomicInteger reached = new AtomicInteger();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    HealthStatusManager health = new HealthStatusManager();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(health.getHealthService(), new io.grpc.ServerInterceptor() {
          @Override
          public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
                                                                    io.grpc.ServerCallHandler<Q, R> next) {
            reached.incrementAndGet();
            return next.startCall(call, headers);
          }
        }, new TokenAuthenticator(" s3cret ", "the test service")))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private HealthGrpc.HealthBlockingStub stub(String authorization) {
    HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
    if (authorization == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(imagerec.grpc.WireHeaders.AUTHORIZATION, authorization);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private void assertRefused(String authorization, String message) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub(authorization).check(HealthCheckRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(message, e.getStatus().getDescription());
  }

  @Test
  void onlyTheRightBearerTokenGetsThrough() {
    assertRefused(null, "missing 'authorization: Bearer <token>' for the test service");
    assertRefused("Bearer wrong", "wrong token for the test service");
    assertRefused("Basic s3cret", "wrong token for the test service");
    assertRefused("Bearer s3cret-and-more", "wrong token for the test service");
    assertEquals(0, reached.get(), "refused calls go no further");
    stub("Bearer s3cret").check(HealthCheckRequest.getDefaultInstance());
    stub("bearer  s3cret ").check(HealthCheckRequest.getDefaultInstance()); // scheme is case-insensitive
    assertEquals(2, reached.get());
  }

  @Test
  void bearerTokenCredentialsSendTheHeader() {
    HealthGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken("s3cret"))
        .check(HealthCheckRequest.getDefaultInstance());
    assertEquals(1, reached.get());
    assertEquals("BearerToken[hidden]", new BearerToken("s3cret").toString());
  }
}
