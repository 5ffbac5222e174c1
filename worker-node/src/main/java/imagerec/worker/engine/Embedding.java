package imagerec.worker.engine;

/** An embedding model's vector as returned to callers. */
final class Embedding {
  private Embedding() {}

  /** {@code values} scaled to unit length (L2) when {@code normalize}; a zero vector stays zero. */
  static float[] of(float[] values, boolean normalize) {
    if (!normalize) {
      return values.clone();
    }
    double sum = 0;
    for (float v : values) {
      sum += (double) v * v;
    }
    double norm = Math.sqrt(sum);
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = norm == 0 ? 0 : (float) (values[i] / norm);
    }
    return out;
  }
}
