package imagerec.balancer.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CallStatsTest {
  private final AtomicLong nowMillis = new AtomicLong(1_000_000_000L);
  private final CallStats stats = new CallStats(nowMillis::get);

  @Test
  void eachWholeSecondKeepsItsCallsFailuresAndPercentiles() {
    for (int i = 1; i <= 100; i++) {
      stats.record(Status.Code.OK, i * 1_000_000L); // 1..100 ms
    }
    stats.record(Status.Code.UNAVAILABLE, 5_000_000L);
    nowMillis.addAndGet(1000);
    stats.record(Status.Code.OK, 7_000_000L); // the second in progress: not shown yet
    CallStats.Minute minute = stats.lastMinute();
    assertEquals(CallStats.SECONDS, minute.seconds().size());
    CallStats.Second last = minute.seconds().get(CallStats.SECONDS - 1);
    assertEquals(101, last.calls());
    assertEquals(1, last.failures());
    assertEquals(50, last.p50Ms(), 1.0);
    assertEquals(99, last.p99Ms(), 1.0);
    assertEquals(0, minute.seconds().get(0).calls());
    assertEquals(101 / 60.0, minute.callsPerSecond(), 1e-9);
    assertEquals(1, minute.failures());
  }

  @Test
  void secondsOlderThanAMinuteAreForgottenAndTheirSlotsReused() {
    stats.record(Status.Code.OK, 1_000_000L);
    nowMillis.addAndGet(61_000);
    stats.record(Status.Code.OK, 2_000_000L); // the same slot of the ring, 61 s later
    nowMillis.addAndGet(1000);
    CallStats.Minute minute = stats.lastMinute();
    assertEquals(1, minute.seconds().stream().mapToLong(CallStats.Second::calls).sum());
    assertEquals(2.0, minute.p50Ms(), 0.05);
  }

  @Test
  void onlyRecognitionsAndRefusalsCount() {
    stats.callEnded("ListModels", Status.Code.OK, 1_000_000L);
    stats.callEnded("Recognize", Status.Code.OK, 1_000_000L);
    stats.rejected();
    nowMillis.addAndGet(1000);
    CallStats.Second last = stats.lastMinute().seconds().get(CallStats.SECONDS - 1);
    assertEquals(2, last.calls());
    assertEquals(1, last.failures());
  }
}
