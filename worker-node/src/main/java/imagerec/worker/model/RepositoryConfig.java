package imagerec.worker.model;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a worker's models come from and how they are brought up.
 *
 * @param dir the model repository folder, one sub-folder per model
 * @param defaultModel the model used when a request names none (null: the first by name)
 * @param pollInterval how often the repository is rescanned for changes (zero: never)
 * @param warmup how long synthetic images run through every model before the worker reports
 *     SERVING, so that the JVM has compiled the request path (zero: none)
 */
public record RepositoryConfig(Path dir, String defaultModel, Duration pollInterval, Duration warmup) {
  public RepositoryConfig {
    Objects.requireNonNull(dir, "dir");
    if (pollInterval.isNegative() || warmup.isNegative()) {
      throw new IllegalArgumentException("--poll-interval-ms and --warmup-ms must not be negative");
    }
    defaultModel = defaultModel == null || defaultModel.isBlank() ? null : defaultModel.strip();
  }

  /** The models under {@code dir}, never rescanned, no warm-up. */
  public static RepositoryConfig of(Path dir) {
    return new RepositoryConfig(dir, null, Duration.ZERO, Duration.ZERO);
  }
}
