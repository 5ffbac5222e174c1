package imagerec.worker.pytorch;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import imagerec.worker.inference.PredictFunction;
import imagerec.worker.model.ModelConfig;
import java.nio.FloatBuffer;

/**
 * A {@link PredictFunction} over one DJL predictor of a TorchScript model: stacks the batch into
 * one NCHW tensor, runs the module, and returns the first output's rows. Not thread-safe: one per
 * inference thread.
 */
public final class TorchScriptFunction implements PredictFunction {
  private final Predictor<float[][], float[][]> predictor;

  public TorchScriptFunction(ZooModel<?, ?> model, ModelConfig.Input input) {
    this.predictor = model.newPredictor(new BatchTranslator(input));
  }

  @Override
  public float[][] predict(float[][] inputs) throws Exception {
    return predictor.predict(inputs);
  }

  @Override
  public void close() {
    predictor.close();
  }

  /** Builds the batch tensor itself, so DJL's batchifier is not used. */
  private static final class BatchTranslator implements Translator<float[][], float[][]> {
    private final ModelConfig.Input input;

    BatchTranslator(ModelConfig.Input input) {
      this.input = input;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[][] batch) {
      int size = input.size();
      FloatBuffer data = FloatBuffer.allocate(batch.length * size);
      for (float[] item : batch) {
        data.put(item);
      }
      data.flip();
      NDArray array = ctx.getNDManager().create(data,
          new Shape(batch.length, input.channels(), input.height(), input.width()));
      return new NDList(array);
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList list) {
      NDArray out = list.get(0);
      int rows = (int) out.getShape().get(0);
      int cols = (int) (out.size() / Math.max(rows, 1));
      float[] flat = out.toFloatArray();
      float[][] result = new float[rows][cols];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(flat, r * cols, result[r], 0, cols);
      }
      return result;
    }

    @Override
    public Batchifier getBatchifier() {
      return null;
    }
  }
}
