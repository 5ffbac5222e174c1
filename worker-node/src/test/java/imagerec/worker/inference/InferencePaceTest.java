package imagerec.worker.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class InferencePaceTest {
  private static final long MS = 1_000_000;

  @Test
  void normalPaceAddsNothing() {
    assertEquals(0, InferencePace.NORMAL.extraNanos(0));
    assertEquals(0, InferencePace.NORMAL.extraNanos(7 * MS));
  }

  @Test
  void slowdownStretchesEachCallByItsFactor() {
    InferencePace fiveTimes = new InferencePace(Duration.ZERO, 5);
    assertEquals(8 * MS, fiveTimes.extraNanos(2 * MS));
    assertEquals(40 * MS, fiveTimes.extraNanos(10 * MS));
  }

  @Test
  void minimumWaitsOutTheRestOnlyOfShorterCalls() {
    InferencePace atLeast50 = new InferencePace(Duration.ofMillis(50), 1);
    assertEquals(45 * MS, atLeast50.extraNanos(5 * MS));
    assertEquals(0, atLeast50.extraNanos(60 * MS));
  }

  @Test
  void theLongerOfMinimumAndSlowdownWins() {
    InferencePace both = new InferencePace(Duration.ofMillis(10), 3);
    assertEquals(8 * MS, both.extraNanos(2 * MS));
    assertEquals(40 * MS, both.extraNanos(20 * MS));
  }

  @Test
  void speedingUpOrNegativeMinimumIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new InferencePace(Duration.ZERO, 0.5));
    assertThrows(IllegalArgumentException.class, () -> new InferencePace(Duration.ZERO, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new InferencePace(Duration.ofMillis(-1), 1));
  }

  @Test
  void aWrappedFunctionAnswersTheSameAtLeastAsLateAsThePaceSays() throws Exception {
    PredictFunction model = inputs -> new float[][] {{inputs[0][0] * 2}};
    assertSame(model, InferencePace.NORMAL.wrap(model), "production keeps the model's own function");
    PredictFunction paced = new InferencePace(Duration.ofMillis(30), 1).wrap(model);
    long start = System.nanoTime();
    float[][] out = paced.predict(new float[][] {{21}});
    assertEquals(42, out[0][0]);
    assertTrue(System.nanoTime() - start >= 30 * MS, "held the thread for the minimum");
  }
}
