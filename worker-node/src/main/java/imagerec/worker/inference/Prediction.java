package imagerec.worker.inference;

/**
 * The output of one item of a batch.
 *
 * @param output the model's output vector (logits) for this item
 * @param batchSize how many items the batch held
 * @param queueNanos time from submission until its batch started
 * @param inferenceNanos time the batch took in the model
 */
public record Prediction(float[] output, int batchSize, long queueNanos, long inferenceNanos) {}
