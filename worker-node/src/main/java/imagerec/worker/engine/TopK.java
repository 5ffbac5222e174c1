package imagerec.worker.engine;

import java.util.ArrayList;
import java.util.List;

/** Softmax over logits and selection of the best labels. */
final class TopK {
  private TopK() {}

  /** The {@code k} highest-scoring labels by softmax probability, best first (ties: lower index). */
  static List<Recognition.Label> of(float[] logits, List<String> labels, int k) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] exp = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      exp[i] = Math.exp(logits[i] - max);
      sum += exp[i];
    }
    int n = Math.min(k, logits.length);
    List<Recognition.Label> top = new ArrayList<>(n);
    boolean[] taken = new boolean[logits.length];
    for (int j = 0; j < n; j++) {
      int best = -1;
      for (int i = 0; i < logits.length; i++) {
        if (!taken[i] && (best < 0 || exp[i] > exp[best])) {
          best = i;
        }
      }
      taken[best] = true;
      String label = best < labels.size() ? labels.get(best) : "class_" + best;
      top.add(new Recognition.Label(label, (float) (exp[best] / sum), best));
    }
    return top;
  }
}
