package imagerec.worker.inference;

import java.time.Duration;

/**
 * How a model's requests are queued and batched.
 *
 * @param instances inference threads, each with its own predictor
 * @param maxBatchSize most items in one inference call
 * @param maxBatchDelay how long a thread that has fewer than {@code maxBatchSize} items waits for
 *     more before it runs; zero runs its share of what is queued at once (no added latency when idle)
 * @param queueCapacity most items waiting; past it, submissions fail with {@link OverloadedException}
 */
public record BatchingConfig(int instances, int maxBatchSize, Duration maxBatchDelay, int queueCapacity) {
  public BatchingConfig {
    if (instances < 1 || maxBatchSize < 1 || queueCapacity < 1 || maxBatchDelay.isNegative()) {
      throw new IllegalArgumentException("instances (--instances), maxBatchSize (--max-batch-size) and "
          + "queueCapacity (--queue-capacity) must be at least 1, maxBatchDelay (--max-batch-delay-ms) not negative: "
          + instances + ", " + maxBatchSize + ", " + queueCapacity + ", " + maxBatchDelay);
    }
  }
}
