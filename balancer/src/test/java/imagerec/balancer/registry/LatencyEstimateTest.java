package imagerec.balancer.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyEstimateTest {
  private static final long MS = 1_000_000;
  private final LatencyEstimate estimate = new LatencyEstimate();

  @Test
  void unknownUntilACallIsAnswered() {
    assertEquals(-1, estimate.nanos(0, true));
    assertEquals(-1, estimate.nanos(0, false));
  }

  @Test
  void theFirstAnswerSetsItAndLaterOnesMoveItByTheirWeight() {
    estimate.record(10 * MS, 0);
    assertEquals(10 * MS, estimate.nanos(0, false), 1);
    estimate.record(20 * MS, 1 * MS);
    assertEquals(10 * MS + LatencyEstimate.SAMPLE_WEIGHT * 10 * MS, estimate.nanos(1 * MS, false), 1);
    for (int i = 0; i < 100; i++) {
      estimate.record(20 * MS, 2 * MS);
    }
    assertEquals(20 * MS, estimate.nanos(2 * MS, false), 1_000);
  }

  @Test
  void anAnswerAfterALongSilenceReplacesTheStaleMean() {
    estimate.record(500 * MS, 0); // a cold worker's first call
    estimate.record(5 * MS, LatencyEstimate.STALE_NANOS + 1);
    assertEquals(5 * MS, estimate.nanos(LatencyEstimate.STALE_NANOS + 1, false), 1);
  }

  @Test
  void fadesOnlyWhileNothingIsInFlight() {
    estimate.record(10 * MS, 0);
    long fade = (long) LatencyEstimate.FADE_NANOS;
    assertEquals(10 * MS / Math.E, estimate.nanos(fade, true), 1_000);
    assertEquals(10 * MS / Math.E / Math.E, estimate.nanos(2 * fade, true), 1_000);
    assertEquals(10 * MS, estimate.nanos(2 * fade, false), 1, "a worker with calls in flight keeps its estimate");
  }
}
