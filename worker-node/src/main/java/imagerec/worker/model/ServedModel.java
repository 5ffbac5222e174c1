package imagerec.worker.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.inference.BatchingPredictor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One loaded model: its config, labels, the DJL model and the {@link BatchingPredictor} in front of
 * it. Owns and closes all of them.
 */
public final class ServedModel implements AutoCloseable {
  private final ModelConfig config;
  private final List<String> labels;
  private final ZooModel<NDList, NDList> model;
  private final BatchingPredictor predictor;

  private ServedModel(ModelConfig config, List<String> labels, ZooModel<NDList, NDList> model,
                      BatchingPredictor predictor) {
    this.config = config;
    this.labels = labels;
    this.model = model;
    this.predictor = predictor;
  }

  /** Loads the model in {@code dir}, starts its inference threads and warms them up. */
  public static ServedModel load(Path dir, BatchingConfig batching) throws ModelLoadException {
    ZooModel<NDList, NDList> model = null;
    try {
      ModelConfig config = ModelConfig.read(dir);
      List<String> labels = Files.readAllLines(dir.resolve(config.labels()), StandardCharsets.UTF_8)
          .stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
      if (labels.isEmpty()) {
        throw new IOException(dir.resolve(config.labels()) + ": no labels");
      }
      Path file = dir.resolve(config.file());
      if (!Files.isRegularFile(file)) {
        throw new IOException(file + ": model file not found");
      }
      String fileName = file.getFileName().toString();
      Criteria<NDList, NDList> criteria = Criteria.builder()
          .setTypes(NDList.class, NDList.class)
          .optEngine("PyTorch")
          .optModelPath(dir)
          .optModelName(fileName.endsWith(".pt") ? fileName.substring(0, fileName.length() - 3) : fileName)
          .optTranslator(new NoopTranslator())
          .build();
      model = criteria.loadModel();
      ZooModel<NDList, NDList> loaded = model;
      BatchingPredictor predictor = new BatchingPredictor(config.name(), batching,
          () -> new TorchScriptFunction(loaded, config.input()), new float[config.input().size()]);
      return new ServedModel(config, labels, model, predictor);
    } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
      if (model != null) {
        model.close();
      }
      throw new ModelLoadException("cannot load model from " + dir + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      if (model != null) {
        model.close();
      }
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while loading " + dir, e);
    }
  }

  public ModelConfig config() {
    return config;
  }

  public List<String> labels() {
    return labels;
  }

  public BatchingPredictor predictor() {
    return predictor;
  }

  @Override
  public void close() throws InterruptedException {
    try {
      predictor.close();
    } finally {
      model.close();
    }
  }
}
