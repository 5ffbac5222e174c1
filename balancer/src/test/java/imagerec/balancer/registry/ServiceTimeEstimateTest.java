package imagerec.balancer.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ServiceTimeEstimateTest {
  private static final long MS = 1_000_000;
  private final ServiceTimeEstimate estimate = new ServiceTimeEstimate();

  @Test
  void unknownUntilACallFinishes() {
    assertEquals(-1, estimate.nanos(0));
  }

  @Test
  void aCallsLatencyIsSharedAmongTheCallsInFlightWithIt() {
    estimate.record(8 * MS, 4, 0); // four calls at once took 8 ms: 2 ms each
    assertEquals(2 * MS, estimate.nanos(0), 1);
  }

  @Test
  void laterCallsMoveTheMeanByTheirWeight() {
    estimate.record(10 * MS, 1, 0);
    estimate.record(20 * MS, 1, 0);
    assertEquals(10 * MS + ServiceTimeEstimate.SAMPLE_WEIGHT * 10 * MS, estimate.nanos(0), 1);
    for (int i = 0; i < 100; i++) {
      estimate.record(20 * MS, 1, 0);
    }
    assertEquals(20 * MS, estimate.nanos(0), 1_000);
  }

  @Test
  void fadesWhileNoCallFinishesSoAShunnedWorkerIsTriedAgain() {
    estimate.record(10 * MS, 1, 0);
    long fade = (long) ServiceTimeEstimate.FADE_NANOS;
    assertEquals(10 * MS / Math.E, estimate.nanos(fade), 1_000);
    assertEquals(10 * MS / Math.E / Math.E, estimate.nanos(2 * fade), 1_000);
    estimate.record(10 * MS, 1, fade); // a new sample starts from the faded value
    assertEquals(10 * MS / Math.E + ServiceTimeEstimate.SAMPLE_WEIGHT * (10 * MS - 10 * MS / Math.E), estimate.nanos(fade), 1_000);
  }
}
