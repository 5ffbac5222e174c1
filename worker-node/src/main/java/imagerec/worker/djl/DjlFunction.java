package imagerec.worker.djl;

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
 * A {@link PredictFunction} over one DJL predictor: stacks the batch into one float32 tensor
 * ({@code [N, C, H, W]}, or {@code [N, H, W, C]} for an NHWC model), runs the model, and returns the
 * rows of the chosen output, which must be {@code [N, D]}. A model exported with a fixed batch
 * size is fed batches of exactly that size (the rest padded with zeros and dropped from the
 * result). Not thread-safe: one per inference thread.
 */
public final class DjlFunction implements PredictFunction {
  private final Predictor<float[][], float[][]> predictor;

  DjlFunction(ZooModel<?, ?> model, ModelConfig.Input input, String outputName, int fixedBatch) {
    this.predictor = model.newPredictor(new BatchTranslator(input, outputName, fixedBatch));
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
    private final String outputName;
    private final int fixedBatch;
    private int items;

    BatchTranslator(ModelConfig.Input input, String outputName, int fixedBatch) {
      this.input = input;
      this.outputName = outputName;
      this.fixedBatch = fixedBatch;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[][] batch) {
      if (fixedBatch > 0 && batch.length > fixedBatch) {
        throw new IllegalArgumentException("batch of " + batch.length + " for a model fixed to " + fixedBatch);
      }
      items = batch.length;
      int rows = fixedBatch > 0 ? fixedBatch : batch.length;
      int size = input.size();
      FloatBuffer data = FloatBuffer.allocate(rows * size);
      for (float[] item : batch) {
        data.put(item);
      }
      data.position(rows * size); // padding rows stay zero
      data.flip();
      Shape shape = input.nhwc()
          ? new Shape(rows, input.height(), input.width(), input.channels())
          : new Shape(rows, input.channels(), input.height(), input.width());
      return new NDList(ctx.getNDManager().create(data, shape));
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList list) {
      NDArray out = select(list);
      Shape shape = out.getShape();
      if (shape.dimension() != 2) {
        throw new IllegalStateException("model output" + (out.getName() != null ? " " + out.getName() : "")
            + " has shape " + shape + "; expected [batch, values]");
      }
      int cols = (int) shape.get(1);
      float[] flat = out.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
      float[][] result = new float[items][cols];
      for (int r = 0; r < items; r++) {
        System.arraycopy(flat, r * cols, result[r], 0, cols);
      }
      return result;
    }

    /** The output named in model.json (by name, or by position for unnamed outputs), else the first. */
    private NDArray select(NDList list) {
      if (outputName == null) {
        return list.get(0);
      }
      for (NDArray array : list) {
        if (outputName.equals(array.getName())) {
          return array;
        }
      }
      if (outputName.matches("\\d+") && Integer.parseInt(outputName) < list.size()) {
        return list.get(Integer.parseInt(outputName));
      }
      StringBuilder names = new StringBuilder();
      for (int i = 0; i < list.size(); i++) {
        names.append(i == 0 ? "" : ", ").append(list.get(i).getName() != null ? list.get(i).getName() : Integer.toString(i));
      }
      throw new IllegalStateException("model has no output \"" + outputName + "\"; its outputs: " + names);
    }

    @Override
    public Batchifier getBatchifier() {
      return null;
    }
  }
}
