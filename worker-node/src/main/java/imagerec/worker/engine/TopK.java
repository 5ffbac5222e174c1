package imagerec.worker.engine;

import imagerec.worker.model.ModelConfig.Activation;
import java.util.ArrayList;
import java.util.List;

/** A classifier's scores after its activation, and selection of the best labels. */
public final class TopK {
  private TopK() {}

  /**
   * The {@code k} highest-scoring labels, best first (ties: lower index), scored by
   * {@code activation}; labels scoring under {@code threshold} (null: none) are left out.
   */
  static List<Recognition.Label> of(float[] outputs, List<String> labels, int k, Activation activation,
                                    Float threshold) {
    double[] scores = scores(outputs, activation);
    int[] best = best(scores, Math.min(k, outputs.length));
    List<Recognition.Label> top = new ArrayList<>(best.length);
    for (int i : best) {
      if (threshold != null && scores[i] < threshold) {
        break;
      }
      String label = i < labels.size() ? labels.get(i) : "class_" + i;
      top.add(new Recognition.Label(label, (float) scores[i], i));
    }
    return top;
  }

  /** The indexes of the {@code k} highest scores, best first (ties: lower index). */
  public static int[] best(float[] scores, int k) {
    double[] wide = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      wide[i] = scores[i];
    }
    return best(wide, k);
  }

  private static int[] best(double[] scores, int k) {
    int[] top = new int[k];
    boolean[] taken = new boolean[scores.length];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < scores.length; i++) {
        if (!taken[i] && (best < 0 || scores[i] > scores[best])) {
          best = i;
        }
      }
      taken[best] = true;
      top[j] = best;
    }
    return top;
  }

  /** Every score after {@code activation}, in the model's order. */
  static float[] activated(float[] outputs, Activation activation) {
    double[] scores = scores(outputs, activation);
    float[] out = new float[scores.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) scores[i];
    }
    return out;
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
