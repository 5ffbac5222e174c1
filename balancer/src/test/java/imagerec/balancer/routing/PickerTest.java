package imagerec.balancer.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.balancer.registry.WorkerEndpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PickerTest {
  private final Picker picker = new Picker(new Random(42), Picker.Policy.LEAST_OUTSTANDING);
  private final Picker timed = new Picker(new Random(42), Picker.Policy.LEAST_LATENCY);
  private static final long MS = 1_000_000;

  private static List<WorkerEndpoint> workers(int n) {
    List<WorkerEndpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(new WorkerEndpoint("w" + i, "static", null));
    }
    return list;
  }

  /** One worker per argument, each with that many calls outstanding. */
  private static List<WorkerEndpoint> withCalls(int... outstanding) {
    List<WorkerEndpoint> list = workers(outstanding.length);
    for (int i = 0; i < outstanding.length; i++) {
      load(list.get(i), outstanding[i]);
    }
    return list;
  }

  private static void load(WorkerEndpoint w, int calls) {
    for (int i = 0; i < calls; i++) {
      w.callStarted();
    }
  }

  @Test
  void noCandidatesGivesNull() {
    assertNull(picker.pick(List.of(), Set.of(), 0));
    List<WorkerEndpoint> one = workers(1);
    assertNull(picker.pick(one, Set.of(one.get(0)), 0));
  }

  @Test
  void fewWorkersAreAllComparedAndTheLeastLoadedWins() {
    List<WorkerEndpoint> w = withCalls(5, 1, 3);
    for (int i = 0; i < 50; i++) {
      assertSame(w.get(1), picker.pick(w, Set.of(), 0));
    }
  }

  @Test
  void excludedWorkersAreSkipped() {
    List<WorkerEndpoint> w = withCalls(2, 0, 9);
    assertSame(w.get(0), picker.pick(w, Set.of(w.get(1)), 0));
  }

  @Test
  void ejectedWorkersAreSkippedUnlessAllAreEjected() {
    List<WorkerEndpoint> w = withCalls(0, 4, 4);
    w.get(0).eject(1_000); // the least loaded, but ejected until t=1000
    for (int i = 0; i < 20; i++) {
      assertTrue(picker.pick(w, Set.of(), 500) != w.get(0));
    }
    assertSame(w.get(0), picker.pick(w, Set.of(), 1_000), "the ejection is over at t=1000");
    w.get(1).eject(5_000);
    w.get(2).eject(5_000);
    w.get(0).eject(5_000);
    assertTrue(picker.pick(w, Set.of(), 2_000) != null, "fail open when every worker is ejected");
  }

  @Test
  void aWorkerThatShedsCallsCountsAsFull() {
    List<WorkerEndpoint> w = withCalls(0, 50);
    w.get(0).markOverloaded(1_000); // idle but answering RESOURCE_EXHAUSTED
    for (int i = 0; i < 20; i++) {
      assertSame(w.get(1), picker.pick(w, Set.of(), 10));
    }
    assertSame(w.get(0), picker.pick(w, Set.of(), 2_000), "the overload mark expires");
  }

  @Test
  void roundRobinTakesEachInTurnWhateverTheLoad() {
    Picker rr = new Picker(new Random(1), Picker.Policy.ROUND_ROBIN);
    List<WorkerEndpoint> w = withCalls(100, 0, 0);
    List<WorkerEndpoint> picked = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picked.add(rr.pick(w, Set.of(), 0));
    }
    assertEquals(List.of(w.get(0), w.get(1), w.get(2), w.get(0), w.get(1), w.get(2)), picked);
  }

  @Test
  void equallyLoadedWorkersShareTheCalls() {
    List<WorkerEndpoint> w = workers(3);
    Map<WorkerEndpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(picker.pick(w, Set.of(), 0), 1, Integer::sum);
    }
    for (WorkerEndpoint e : w) {
      assertTrue(counts.get(e) > 800, "skewed: " + counts);
    }
  }

  @Test
  void manyWorkersUsePowerOfTwoChoicesAndNeverPickTheMostLoaded() {
    List<WorkerEndpoint> w = workers(10);
    for (int i = 0; i < 10; i++) {
      load(w.get(i), i);
    }
    Map<WorkerEndpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      counts.merge(picker.pick(w, Set.of(), 0), 1, Integer::sum);
    }
    assertNull(counts.get(w.get(9)), "the most loaded of two choices never wins");
    assertTrue(counts.get(w.get(0)) > counts.get(w.get(5)), counts.toString());
    assertTrue(counts.get(w.get(5)) > counts.getOrDefault(w.get(8), 0), counts.toString());
    // the least loaded wins whenever it is drawn: 2 of 10 draws include it, about 20% of calls
    assertEquals(0.2, counts.get(w.get(0)) / 10_000.0, 0.03);
  }

  /** Gives {@code w} a measured latency of {@code ms}. */
  private static void measured(WorkerEndpoint w, long ms) {
    w.recordLatency(ms * MS, 0);
  }

  @Test
  void leastLatencyWeighsOutstandingCallsByEachWorkersLatency() {
    List<WorkerEndpoint> w = workers(2);
    measured(w.get(0), 1);
    measured(w.get(1), 5); // five times slower
    load(w.get(0), 3); // a new call waits (3 + 1) x 1 ms here, (0 + 1) x 5 ms on the idle slow one
    for (int i = 0; i < 20; i++) {
      assertSame(w.get(0), timed.pick(w, Set.of(), 0));
    }
    assertSame(w.get(1), picker.pick(w, Set.of(), 0), "least-outstanding would pick the idle slow worker");
    load(w.get(0), 2); // now (5 + 1) x 1 ms against 5 ms
    assertSame(w.get(1), timed.pick(w, Set.of(), 0));
  }

  @Test
  void leastLatencyFallsBackToOutstandingCallsUntilEveryComparedWorkerIsMeasured() {
    List<WorkerEndpoint> w = workers(2);
    measured(w.get(0), 1);
    load(w.get(0), 2); // w1 is new: no measurement, so it does not look infinitely fast or slow
    assertSame(w.get(1), timed.pick(w, Set.of(), 0));
    load(w.get(1), 3);
    assertSame(w.get(0), timed.pick(w, Set.of(), 0));
  }

  @Test
  void leastLatencyStillCountsAWorkerThatShedsCallsAsFull() {
    List<WorkerEndpoint> w = workers(2);
    measured(w.get(0), 1);
    measured(w.get(1), 20);
    load(w.get(1), 5);
    w.get(0).markOverloaded(1_000);
    assertSame(w.get(1), timed.pick(w, Set.of(), 10));
    assertSame(w.get(0), timed.pick(w, Set.of(), 2_000), "the overload mark expires");
  }

  @Test
  void leastLatencyWithManyWorkersGivesASlowOneFewerCalls() {
    List<WorkerEndpoint> w = workers(8);
    for (WorkerEndpoint e : w) {
      measured(e, e == w.get(7) ? 10 : 1);
    }
    // calls start and never finish: each pick adds one outstanding call where it lands
    Map<WorkerEndpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 800; i++) {
      WorkerEndpoint e = timed.pick(w, Set.of(), 0);
      e.callStarted();
      counts.merge(e, 1, Integer::sum);
    }
    int slow = counts.getOrDefault(w.get(7), 0);
    for (int i = 0; i < 7; i++) {
      assertTrue(counts.get(w.get(i)) > 5 * slow, "the slow worker got " + slow + ": " + counts);
    }
    assertTrue(slow > 0, "the slow worker still gets calls when the others are busy enough: " + counts);
  }
}
