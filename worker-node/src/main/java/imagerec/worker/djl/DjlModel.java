package imagerec.worker.djl;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import imagerec.worker.inference.PredictFunction;
import imagerec.worker.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model loaded with DJL, on the PyTorch engine (TorchScript) or the OnnxRuntime engine (ONNX):
 * the one place the worker's model code meets an engine. It makes a {@link DjlFunction} per
 * inference thread, and closing it frees the model. Nothing is downloaded: both engines' native
 * libraries come from jars on the class path.
 *
 * <p>Threads: PyTorch takes its intra-op thread count from a system property set once at start
 * (see {@code WorkerMain}); ONNX Runtime gets it per session here, since its default (one thread per
 * core for every session) oversubscribes a worker that serves several models or instances.
 */
public final class DjlModel implements AutoCloseable {
  private final ZooModel<NDList, NDList> model;
  private final int fixedBatch;

  private DjlModel(ZooModel<NDList, NDList> model, int fixedBatch) {
    this.model = model;
    this.fixedBatch = fixedBatch;
  }

  /**
   * Loads {@code file} (in {@code dir}) on {@code engine}.
   *
   * @param intraOpThreads threads one inference call may use (ONNX Runtime; PyTorch's is global)
   */
  public static DjlModel open(Path dir, Path file, ModelConfig.Engine engine, int intraOpThreads) throws IOException {
    String fileName = file.getFileName().toString();
    String suffix = engine == ModelConfig.Engine.ONNX_RUNTIME ? ".onnx" : ".pt";
    Criteria.Builder<NDList, NDList> criteria = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optEngine(engine.djlName())
        .optModelPath(dir)
        .optModelName(fileName.endsWith(suffix) ? fileName.substring(0, fileName.length() - suffix.length()) : fileName)
        .optTranslator(new NoopTranslator());
    int fixedBatch = 0;
    if (engine == ModelConfig.Engine.ONNX_RUNTIME) {
      criteria.optOption("intraOpNumThreads", Integer.toString(intraOpThreads))
          .optOption("interOpNumThreads", "1");
      fixedBatch = onnxFixedBatch(file);
    }
    try {
      return new DjlModel(criteria.build().loadModel(), fixedBatch);
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IOException(e.getMessage() + (e.getCause() != null ? ": " + e.getCause().getMessage() : ""), e);
    }
  }

  /**
   * The batch size an ONNX model's first input is fixed to (many exports fix it to 1), or 0 when
   * its batch dimension is dynamic.
   */
  private static int onnxFixedBatch(Path file) throws IOException {
    long[] shape = onnxInputShape(file);
    return shape.length > 0 && shape[0] > 0 ? (int) shape[0] : 0;
  }

  /**
   * What a model file fixes of its image input, {@code {channels, height, width}}, or null: an ONNX
   * model exported with a static {@code [N, C, H, W]} (or NHWC) input says it; TorchScript says
   * nothing. Lets a KServe user's model.json leave the geometry out.
   */
  public static int[] declaredInput(Path file, ModelConfig.Engine engine, boolean nhwc) throws IOException {
    if (engine != ModelConfig.Engine.ONNX_RUNTIME || !java.nio.file.Files.isRegularFile(file)) {
      return null;
    }
    long[] shape = onnxInputShape(file);
    if (shape.length != 4) {
      return null;
    }
    long c = nhwc ? shape[3] : shape[1];
    long h = nhwc ? shape[1] : shape[2];
    long w = nhwc ? shape[2] : shape[3];
    return c > 0 && h > 0 && w > 0 ? new int[] {(int) c, (int) h, (int) w} : null;
  }

  /**
   * The shape of an ONNX model's one input (-1 for a dynamic dimension), from a metadata-only
   * session, since DJL does not report input shapes of ONNX models.
   */
  private static long[] onnxInputShape(Path file) throws IOException {
    ai.djl.engine.Engine.getEngine("OnnxRuntime"); // DJL makes the environment first, with its options
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(file.toString(), options)) {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (inputs.size() != 1) {
          throw new IOException(file + ": the model takes " + inputs.size() + " inputs " + inputs.keySet()
              + "; an image model takes one");
        }
        return inputs.values().iterator().next().getInfo() instanceof TensorInfo tensor ? tensor.getShape() : new long[0];
      }
    } catch (OrtException e) {
      throw new IOException(file + ": ONNX Runtime cannot read it: " + e.getMessage(), e);
    }
  }

  /** The batch size the model must be fed (its export fixed it), or 0 for any. */
  public int fixedBatch() {
    return fixedBatch;
  }

  /** Makes one predict function per call, each with its own DJL predictor. */
  public Supplier<PredictFunction> functions(ModelConfig.Input input, String outputName) {
    return () -> new DjlFunction(model, input, outputName, fixedBatch);
  }

  /** Properties for the logs: engine and, if fixed, the batch size. */
  public Map<String, String> describe() {
    String engine = model.getNDManager().getEngine().getEngineName();
    return fixedBatch > 0 ? Map.of("engine", engine, "fixedBatch", Integer.toString(fixedBatch)) : Map.of("engine", engine);
  }

  @Override
  public void close() {
    model.close();
  }
}
