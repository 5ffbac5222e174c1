package imagerec.worker.model;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a worker's models come from and how they are brought up.
 *
 * @param dir the model repository folder, one sub-folder per model; or one model's own folder (it
 *     holds a {@code model.json}), as KServe's storage initializer lays a model out
 * @param modelName the name of the model when {@code dir} is one model's folder and its
 *     {@code model.json} names none (null: the folder's name)
 * @param defaultModel the model used when a request names none (null: the first by name)
 * @param pollInterval how often the repository is rescanned for changes (zero: never)
 * @param warmup how long synthetic images run through every model before the worker reports
 *     SERVING, so that the JVM has compiled the request path (zero: none)
 */
public record RepositoryConfig(Path dir, String modelName, String defaultModel, Duration pollInterval,
                               Duration warmup) {
  public RepositoryConfig {
    Objects.requireNonNull(dir, "dir");
    if (pollInterval.isNegative() || warmup.isNegative()) {
      throw new IllegalArgumentException("--poll-interval-ms and --warmup-ms must not be negative");
    }
    defaultModel = defaultModel == null || defaultModel.isBlank() ? null : defaultModel.strip();
    modelName = modelName == null || modelName.isBlank() ? null : modelName.strip();
  }

  /** The models under {@code dir}, never rescanned, no warm-up. */
  public static RepositoryConfig of(Path dir) {
    return new RepositoryConfig(dir, null, null, Duration.ZERO, Duration.ZERO);
  }
}
