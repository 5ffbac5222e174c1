package imagerec.worker.model;

import imagerec.worker.inference.BatchingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a worker serves, loaded from a repository folder holding one sub-folder per model
 * ({@code models/<name>/model.json} plus the TorchScript file and labels).
 *
 * <p>A broken folder is logged and skipped so the other models still serve; a repository where
 * nothing loads is an error. Immutable after {@link #load}; closes its models.
 */
public final class ModelRepository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelRepository.class);

  private final Map<String, ServedModel> models;
  private final String defaultModel;

  private ModelRepository(Map<String, ServedModel> models, String defaultModel) {
    this.models = Collections.unmodifiableMap(models);
    this.defaultModel = defaultModel;
  }

  /**
   * Loads every model folder under {@code root}.
   *
   * @param defaultModel the model used when a request names none; null for the first by name
   */
  public static ModelRepository load(Path root, String defaultModel, BatchingConfig batching)
      throws ModelLoadException {
    List<Path> dirs;
    try (Stream<Path> list = Files.list(root)) {
      dirs = list.filter(d -> Files.isRegularFile(d.resolve("model.json"))).sorted().toList();
    } catch (IOException e) {
      throw new ModelLoadException("cannot read model repository " + root + ": " + e, e);
    }
    Map<String, ServedModel> models = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    for (Path dir : dirs) {
      long start = System.nanoTime();
      try {
        ServedModel model = ServedModel.load(dir, batching);
        ServedModel previous = models.putIfAbsent(model.config().name(), model);
        if (previous != null) {
          model.close();
          failures.add(dir + ": duplicate model name " + model.config().name());
          continue;
        }
        log.info("loaded model {} version {} from {} ({} labels, input {}) in {} ms",
            model.config().name(), model.config().version(), dir, model.labels().size(),
            model.config().input(), (System.nanoTime() - start) / 1_000_000);
      } catch (ModelLoadException e) {
        log.error("{}", e.getMessage(), e.getCause());
        failures.add(e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelLoadException("interrupted while loading models", e);
      }
    }
    if (models.isEmpty()) {
      throw new ModelLoadException("no model could be loaded from " + root
          + (failures.isEmpty() ? " (no folder with a model.json)" : ": " + failures), null);
    }
    String chosen = defaultModel == null || defaultModel.isBlank()
        ? models.keySet().iterator().next() : defaultModel;
    if (!models.containsKey(chosen)) {
      ModelRepository partial = new ModelRepository(models, chosen);
      partial.close();
      throw new ModelLoadException("default model '" + chosen + "' is not among the loaded models "
          + models.keySet(), null);
    }
    return new ModelRepository(models, chosen);
  }

  /** The model called {@code name}, or the default model for an empty name. */
  public ServedModel get(String name) throws UnknownModelException {
    ServedModel model = models.get(name == null || name.isEmpty() ? defaultModel : name);
    if (model == null) {
      throw new UnknownModelException(name, models.keySet());
    }
    return model;
  }

  public String defaultModel() {
    return defaultModel;
  }

  /** All models, in name order. */
  public List<ServedModel> all() {
    return List.copyOf(models.values());
  }

  @Override
  public void close() {
    for (ServedModel model : models.values()) {
      try {
        model.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        log.warn("error closing model {}", model.config().name(), e);
      }
    }
  }
}
