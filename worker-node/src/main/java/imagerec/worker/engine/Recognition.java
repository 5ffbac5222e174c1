package imagerec.worker.engine;

import java.util.List;

/**
 * The result of recognizing one image.
 *
 * @param model the model's name
 * @param modelVersion its version
 * @param top the best labels, best first (empty for an embedding)
 * @param embedding the embedding (empty for a classifier)
 * @param decodeNanos time spent decoding and preprocessing
 * @param queueNanos time waiting for an inference thread
 * @param inferenceNanos time of the batch in the model
 * @param batchSize size of that batch
 * @param totalNanos from the request's arrival to its result
 */
public record Recognition(String model, String modelVersion, List<Label> top, float[] embedding, long decodeNanos,
                          long queueNanos, long inferenceNanos, int batchSize, long totalNanos) {

  /** One scored label. */
  public record Label(String label, float score, int index) {}
}
