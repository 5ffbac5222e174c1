package imagerec.worker.inference;

/**
 * Runs a model on a batch of preprocessed inputs. One instance is used by one thread at a time
 * (each inference thread of a {@link BatchingPredictor} owns its own), so implementations need not
 * be thread-safe.
 */
public interface PredictFunction extends AutoCloseable {

  /**
   * Predicts a batch.
   *
   * @param inputs one flat float array per item, all of the model's input size
   * @return one output vector (logits) per item, in the same order
   */
  float[][] predict(float[][] inputs) throws Exception;

  @Override
  default void close() {}
}
