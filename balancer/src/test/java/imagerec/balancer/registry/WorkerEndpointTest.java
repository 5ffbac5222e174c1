package imagerec.balancer.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WorkerEndpointTest {
  private final WorkerEndpoint worker = new WorkerEndpoint("w:1", "static", null);

  @Test
  void aReportedFullQueueCountsAsFullForAWhileLikeARefusal() {
    long now = 1_000_000_000L;
    worker.reportLoad(3, 2, 8, now);
    assertFalse(worker.isOverloaded(now), "room left");
    assertEquals(2, worker.reportedQueueDepth());
    worker.reportLoad(9, 8, 8, now);
    assertTrue(worker.isOverloaded(now + 1), "a full queue: the next call would be refused");
    assertFalse(worker.isOverloaded(now + WorkerEndpoint.FULL_QUEUE_NANOS), "only for a while");
  }

  @Test
  void aReportWithoutCapacitySaysNothingAboutFullness() {
    worker.reportLoad(50, 50, 0, 0);
    assertFalse(worker.isOverloaded(1));
  }
}
