package imagerec.worker.pytorch;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import imagerec.worker.inference.PredictFunction;
import imagerec.worker.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A TorchScript module loaded with DJL on the PyTorch engine: the one place the worker's model
 * code meets that engine. It makes a {@link TorchScriptFunction} per inference thread, and
 * closing it frees the module.
 */
public final class TorchScriptModel implements AutoCloseable {
  private final ZooModel<NDList, NDList> model;

  private TorchScriptModel(ZooModel<NDList, NDList> model) {
    this.model = model;
  }

  /** Loads the TorchScript module {@code file} (in {@code dir}); nothing is downloaded. */
  public static TorchScriptModel open(Path dir, Path file) throws IOException {
    String fileName = file.getFileName().toString();
    Criteria<NDList, NDList> criteria = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optEngine("PyTorch")
        .optModelPath(dir)
        .optModelName(fileName.endsWith(".pt") ? fileName.substring(0, fileName.length() - 3) : fileName)
        .optTranslator(new NoopTranslator())
        .build();
    try {
      return new TorchScriptModel(criteria.loadModel());
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Makes one predict function per call, each with its own DJL predictor, for inputs shaped as {@code input}. */
  public Supplier<PredictFunction> functions(ModelConfig.Input input) {
    return () -> new TorchScriptFunction(model, input);
  }

  @Override
  public void close() {
    model.close();
  }
}
