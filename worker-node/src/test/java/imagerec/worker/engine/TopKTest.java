package imagerec.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import imagerec.worker.model.ModelConfig.Activation;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopKTest {
  private static final List<String> LABELS = List.of("a", "b", "c");

  @Test
  void softmaxScoresSumToOneBestFirst() {
    List<Recognition.Label> top = TopK.of(new float[] {1, 3, 2}, LABELS, 3, Activation.SOFTMAX, null);
    assertEquals(List.of("b", "c", "a"), top.stream().map(Recognition.Label::label).toList());
    assertEquals(1.0, top.stream().mapToDouble(Recognition.Label::score).sum(), 1e-6);
  }

  @Test
  void sigmoidScoresAreIndependentAndTheThresholdLeavesLabelsOut() {
    List<Recognition.Label> top = TopK.of(new float[] {2, -1, 0.5f}, LABELS, 3, Activation.SIGMOID, 0.6f);
    assertEquals(List.of("a", "c"), top.stream().map(Recognition.Label::label).toList());
    assertEquals(1 / (1 + Math.exp(-2)), top.get(0).score(), 1e-6);
    assertEquals(1 / (1 + Math.exp(-0.5)), top.get(1).score(), 1e-6);
    assertEquals(1, TopK.of(new float[] {2, -1, 0.5f}, LABELS, 1, Activation.SIGMOID, 0.6f).size(), "top_k caps");
  }

  @Test
  void noActivationKeepsTheModelsProbabilities() {
    List<Recognition.Label> top = TopK.of(new float[] {0.2f, 0.7f, 0.1f}, LABELS, 2, Activation.NONE, null);
    assertEquals("b", top.get(0).label());
    assertEquals(0.7f, top.get(0).score(), 1e-7);
    assertEquals(0.2f, top.get(1).score(), 1e-7);
  }

  @Test
  void embeddingsAreScaledToUnitLengthOrLeftRaw() {
    assertArrayEquals(new float[] {0.6f, 0.8f}, Embedding.of(new float[] {3, 4}, true), 1e-7f);
    assertArrayEquals(new float[] {3, 4}, Embedding.of(new float[] {3, 4}, false), 0f);
    assertArrayEquals(new float[] {0, 0}, Embedding.of(new float[] {0, 0}, true), 0f);
  }
}
