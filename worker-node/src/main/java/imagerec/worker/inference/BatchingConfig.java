package imagerec.worker.inference;

import java.time.Duration;

/**
 * How a model's requests are queued and batched.
 *
 * @param instances inference threads, each with its own predictor
 * @param maxBatchSize most items in one inference call
 * @param maxBatchDelay how long a thread that has fewer than {@code maxBatchSize} items waits for
 *     more before it runs; zero runs whatever is queued at once (no added latency when idle)
 * @param queueCapacity most items waiting; past it, submissions fail with {@link OverloadedException}
 * @param minInferenceTime every inference call takes at least this long (the thread waits out the
 *     rest): a stand-in for a heavier model, so that overload tests on a small machine can offer
 *     many times a worker's capacity; zero normally
 */
public record BatchingConfig(int instances, int maxBatchSize, Duration maxBatchDelay, int queueCapacity,
                             Duration minInferenceTime) {
  public BatchingConfig {
    if (instances < 1 || maxBatchSize < 1 || queueCapacity < 1 || maxBatchDelay.isNegative()
        || minInferenceTime.isNegative()) {
      throw new IllegalArgumentException("instances, maxBatchSize and queueCapacity must be >= 1, "
          + "maxBatchDelay >= 0: " + instances + ", " + maxBatchSize + ", " + queueCapacity + ", "
          + maxBatchDelay);
    }
  }

  /** A configuration without a minimum inference time. */
  public BatchingConfig(int instances, int maxBatchSize, Duration maxBatchDelay, int queueCapacity) {
    this(instances, maxBatchSize, maxBatchDelay, queueCapacity, Duration.ZERO);
  }
}
