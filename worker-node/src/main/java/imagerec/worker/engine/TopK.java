package imagerec.worker.engine;

import imagerec.worker.model.ModelConfig.Activation;
import java.util.ArrayList;
import java.util.List;

/** A classifier's scores after its activation, and selection of the best labels. */
final class TopK {
  private TopK() {}

  /**
   * The {@code k} highest-scoring labels, best first (ties: lower index), scored by
   * {@code activation}; labels scoring under {@code threshold} (null: none) are left out.
   */
  static List<Recognition.Label> of(float[] outputs, List<String> labels, int k, Activation activation,
                                    Float threshold) {
    double[] scores = scores(outputs, activation);
    int n = Math.min(k, outputs.length);
    List<Recognition.Label> top = new ArrayList<>(n);
    boolean[] taken = new boolean[outputs.length];
    for (int j = 0; j < n; j++) {
      int best = -1;
      for (int i = 0; i < outputs.length; i++) {
        if (!taken[i] && (best < 0 || scores[i] > scores[best])) {
          best = i;
        }
      }
      if (threshold != null && scores[best] < threshold) {
        break;
      }
      taken[best] = true;
      String label = best < labels.size() ? labels.get(best) : "class_" + best;
      top.add(new Recognition.Label(label, (float) scores[best], best));
    }
    return top;
  }

  private static double[] scores(float[] outputs, Activation activation) {
    double[] scores = new double[outputs.length];
    switch (activation) {
      case SOFTMAX -> {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : outputs) {
          max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < outputs.length; i++) {
          scores[i] = Math.exp(outputs[i] - max);
          sum += scores[i];
        }
        for (int i = 0; i < outputs.length; i++) {
          scores[i] /= sum;
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < outputs.length; i++) {
          scores[i] = 1 / (1 + Math.exp(-outputs[i]));
        }
      }
      case NONE -> {
        for (int i = 0; i < outputs.length; i++) {
          scores[i] = outputs[i];
        }
      }
      default -> throw new AssertionError(activation);
    }
    return scores;
  }
}
