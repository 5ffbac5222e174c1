package imagerec.worker.model;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import imagerec.worker.inference.BatchingConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The contents of a model folder's {@code model.json}, validated.
 *
 * <pre>{@code
 * {
 *   "name": "fashion-mnist", "version": "1", "description": "...",
 *   "file": "fashion-mnist.pt", "labels": "synset.txt",
 *   "input": {"width": 28, "height": 28, "channels": 1, "mean": [0.286], "std": [0.353]},
 *   "topK": 3,
 *   "batching": {"instances": 2, "maxBatchSize": 8, "maxBatchDelayMillis": 0, "queueCapacity": 256}
 * }
 * }</pre>
 *
 * <p>{@code mean} and {@code std} hold one value per channel (or one value for all); the model
 * receives {@code (pixel / 255 - mean) / std} in NCHW layout and returns one logit per label.
 *
 * @param name model name used in requests
 * @param version free-form version string reported in responses
 * @param description one line for humans
 * @param file the TorchScript file, relative to the model folder
 * @param labels the labels file (one label per line, in output order), relative to the folder
 * @param input input geometry and normalization
 * @param topK default number of labels returned
 * @param batching optional overrides of the worker's batching settings for this model
 */
public record ModelConfig(
    String name, String version, String description, String file, String labels, Input input, int topK,
    Batching batching) {

  /**
   * Per-model overrides of the worker's batching flags; absent fields keep the worker's value.
   */
  public record Batching(Integer instances, Integer maxBatchSize, Integer maxBatchDelayMillis, Integer queueCapacity) {

    /** {@code defaults} with this model's overrides applied. */
    public BatchingConfig over(BatchingConfig defaults) {
      return new BatchingConfig(
          instances != null ? instances : defaults.instances(),
          maxBatchSize != null ? maxBatchSize : defaults.maxBatchSize(),
          maxBatchDelayMillis != null ? Duration.ofMillis(maxBatchDelayMillis) : defaults.maxBatchDelay(),
          queueCapacity != null ? queueCapacity : defaults.queueCapacity());
    }
  }

  /** Input geometry and normalization. */
  public record Input(int width, int height, int channels, float[] mean, float[] std) {

    /** Mean of channel {@code c}. */
    public float meanOf(int c) {
      return mean.length == 1 ? mean[0] : mean[c];
    }

    /** Standard deviation of channel {@code c}. */
    public float stdOf(int c) {
      return std.length == 1 ? std[0] : std[c];
    }

    /** Number of floats in one preprocessed image. */
    public int size() {
      return channels * width * height;
    }

    @Override
    public String toString() {
      return channels + "x" + height + "x" + width + " mean=" + Arrays.toString(mean)
          + " std=" + Arrays.toString(std);
    }
  }

  private static final Gson GSON = new Gson();

  /**
   * Reads and validates {@code dir/model.json}.
   *
   * @param defaultName the name when the file gives none (the model folder's name)
   * @param defaultVersion the version when the file gives none (the version folder's name, or "1")
   */
  public static ModelConfig read(Path dir, String defaultName, String defaultVersion) throws IOException {
    Path file = dir.resolve("model.json");
    ModelConfig raw;
    try {
      raw = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), ModelConfig.class);
    } catch (JsonParseException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (raw == null) {
      throw new IOException(file + ": empty");
    }
    return raw.withDefaults(defaultName, defaultVersion).validated(file);
  }

  private ModelConfig withDefaults(String folderName, String folderVersion) {
    return new ModelConfig(
        blank(name) ? folderName : name,
        blank(version) ? folderVersion : version,
        description == null ? "" : description,
        blank(file) ? folderName + ".pt" : file,
        blank(labels) ? "synset.txt" : labels,
        input,
        topK <= 0 ? 5 : topK,
        batching);
  }

  private ModelConfig validated(Path source) throws IOException {
    if (input == null) {
      throw new IOException(source + ": missing \"input\" {width, height, channels, mean, std}");
    }
    if (input.width <= 0 || input.height <= 0 || input.width > 4096 || input.height > 4096) {
      throw new IOException(source + ": input width and height must be in 1..4096");
    }
    if (input.channels != 1 && input.channels != 3) {
      throw new IOException(source + ": input channels must be 1 (grayscale) or 3 (RGB)");
    }
    for (float[] values : List.of(nonNull(input.mean), nonNull(input.std))) {
      if (values.length != 1 && values.length != input.channels) {
        throw new IOException(source + ": mean and std need 1 or " + input.channels + " values");
      }
    }
    if (batching != null) {
      try {
        batching.over(new BatchingConfig(1, 1, Duration.ZERO, 1));
      } catch (IllegalArgumentException e) {
        throw new IOException(source + ": batching: " + e.getMessage());
      }
    }
    for (float s : nonNull(input.std)) {
      if (!(s > 0)) {
        throw new IOException(source + ": std values must be positive");
      }
    }
    return this;
  }

  private static float[] nonNull(float[] values) {
    return values == null ? new float[0] : values;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
