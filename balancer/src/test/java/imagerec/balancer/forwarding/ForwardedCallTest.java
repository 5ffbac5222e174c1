package imagerec.balancer.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class ForwardedCallTest {

  @Test
  void aConnectionLostWhileWritingIsUnavailableNotUnknown() {
    // as grpc-java's Netty transport reports a reset it meets while writing: UNKNOWN, cause ClosedChannelException
    Status reported = Status.UNKNOWN.withDescription("channel closed")
        .withCause(new ClosedChannelException());
    Status status = ForwardedCall.connectionLossAsUnavailable(reported);
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    assertTrue(status.getDescription().contains("channel closed"), status.getDescription());
    assertSame(reported.getCause(), status.getCause());
  }

  @Test
  void theClosedChannelMayBeDeeperInTheCauseChain() {
    Status reported = Status.UNKNOWN.withCause(new IOException("write failed", new ClosedChannelException()));
    assertEquals(Status.Code.UNAVAILABLE, ForwardedCall.connectionLossAsUnavailable(reported).getCode());
  }

  @Test
  void otherUnknownsAndOtherCodesAreUnchanged() {
    Status bug = Status.UNKNOWN.withDescription("worker bug").withCause(new IllegalStateException());
    assertSame(bug, ForwardedCall.connectionLossAsUnavailable(bug));
    Status noCause = Status.UNKNOWN.withDescription("channel closed");
    assertSame(noCause, ForwardedCall.connectionLossAsUnavailable(noCause));
    Status invalid = Status.INVALID_ARGUMENT.withCause(new ClosedChannelException());
    assertSame(invalid, ForwardedCall.connectionLossAsUnavailable(invalid));
  }
}
