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
  private final Picker picker = new Picker(new Random(42));

  private static List<WorkerEndpoint> workers(int n) {
    List<WorkerEndpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(new WorkerEndpoint("w" + i, "static", null));
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
    assertNull(picker.pick(List.of(), Set.of()));
    List<WorkerEndpoint> one = workers(1);
    assertNull(picker.pick(one, Set.of(one.get(0))));
  }

  @Test
  void fewWorkersAreAllComparedAndTheLeastLoadedWins() {
    List<WorkerEndpoint> w = workers(3);
    load(w.get(0), 5);
    load(w.get(1), 1);
    load(w.get(2), 3);
    for (int i = 0; i < 50; i++) {
      assertSame(w.get(1), picker.pick(w, Set.of()));
    }
  }

  @Test
  void excludedWorkersAreSkipped() {
    List<WorkerEndpoint> w = workers(3);
    load(w.get(0), 2);
    load(w.get(2), 9);
    assertSame(w.get(0), picker.pick(w, Set.of(w.get(1))));
  }

  @Test
  void equallyLoadedWorkersShareTheCalls() {
    List<WorkerEndpoint> w = workers(3);
    Map<WorkerEndpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      counts.merge(picker.pick(w, Set.of()), 1, Integer::sum);
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
      counts.merge(picker.pick(w, Set.of()), 1, Integer::sum);
    }
    assertNull(counts.get(w.get(9)), "the most loaded of two choices never wins");
    assertTrue(counts.get(w.get(0)) > counts.get(w.get(5)), counts.toString());
    assertTrue(counts.get(w.get(5)) > counts.getOrDefault(w.get(8), 0), counts.toString());
    // the least loaded wins whenever it is drawn: 2 of 10 draws include it, about 20% of calls
    assertEquals(0.2, counts.get(w.get(0)) / 10_000.0, 0.03);
  }
}
