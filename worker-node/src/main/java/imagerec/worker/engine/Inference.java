package imagerec.worker.engine;

import imagerec.worker.model.ModelConfig;
import java.util.List;

/**
 * The result of one inference request of N inputs, in the order they were sent: per input, a
 * classifier's scores after its activation (one per label) or an embedding (normalized when the
 * model's config says so).
 *
 * @param labels the classifier's labels (empty for an embedding model)
 * @param outputSize values per input
 */
public record Inference(String model, String version, ModelConfig.Kind kind, List<String> labels,
                        int outputSize, List<float[]> outputs) {}
