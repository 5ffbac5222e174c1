package imagerec.balancer.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AdmissionTest {
  private final AtomicInteger rejections = new AtomicInteger();
  private final Admission admission = new Admission(3, 1000, rejections::incrementAndGet);

  @Test
  void refusesPastTheCallLimitNamingItAndAdmitsAgainOnceReleased() {
    assertNull(admission.tryAdmit(10));
    assertNull(admission.tryAdmit(10));
    assertNull(admission.tryAdmit(10));
    Status refused = admission.tryAdmit(10);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode());
    assertTrue(refused.getDescription().contains("3 calls in flight (--max-in-flight)"), refused.getDescription());
    assertEquals(30, admission.bytes(), "a refused call holds nothing");
    admission.release(10);
    assertNull(admission.tryAdmit(10));
    assertEquals(1, rejections.get());
  }

  @Test
  void refusesPastTheByteLimitAndTheHttpReservationsCountToo() {
    assertTrue(admission.tryHold(600)); // an HTTP upload's copies
    Status refused = admission.tryAdmit(500);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode());
    assertTrue(refused.getDescription().contains("1000 request bytes held (--max-bytes-in-flight)"));
    assertEquals(0, admission.calls(), "the refused call gave its place back");
    assertNull(admission.tryAdmit(400));
    assertFalse(admission.tryHold(1));
    admission.releaseBytes(600);
    admission.release(400);
    assertEquals(0, admission.bytes());
    assertEquals(2, rejections.get());
  }

  @Test
  void aSingleRequestLargerThanTheLimitIsLetInWhenNothingElseIsHeld() {
    assertNull(admission.tryAdmit(5000), "the message size limit bounds it, not this one");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, admission.tryAdmit(1).getCode());
  }
}
