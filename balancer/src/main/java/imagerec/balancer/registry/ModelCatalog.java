package imagerec.balancer.registry;

import imagerec.v1.ListModelsResponse;
import imagerec.v1.ModelInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models one worker serves, as its {@code ListModels} last said: each model's description
 * (name, version, labels, input) and the worker's default model. Immutable.
 */
public record ModelCatalog(String defaultModel, Map<String, ModelInfo> models) {
  public ModelCatalog {
    models = Map.copyOf(models);
  }

  /** The catalog a {@code ListModels} answer describes. */
  public static ModelCatalog of(ListModelsResponse response) {
    Map<String, ModelInfo> models = new LinkedHashMap<>();
    for (ModelInfo m : response.getModelsList()) {
      models.put(m.getName(), m);
    }
    return new ModelCatalog(response.getDefaultModel(), models);
  }

  /** Whether the worker serves {@code name} (the default model for ""), of {@code version} unless "". */
  public boolean serves(String name, String version) {
    ModelInfo m = models.get(name.isEmpty() ? defaultModel : name);
    return m != null && (version.isEmpty() || version.equals(m.getVersion()));
  }

  /** The version the worker serves of {@code name}, or null when it does not serve it. */
  public String versionOf(String name) {
    ModelInfo m = models.get(name);
    return m == null ? null : m.getVersion();
  }

  /** Whether the answers of {@code name} may be cached (true for a model the worker does not serve). */
  public boolean cacheable(String name) {
    ModelInfo m = models.get(name);
    return m == null || !m.getUncacheable();
  }

  /** The models' names, sorted. */
  public List<String> names() {
    return models.keySet().stream().sorted().toList();
  }
}
