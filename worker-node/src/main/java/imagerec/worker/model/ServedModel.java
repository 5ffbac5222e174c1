package imagerec.worker.model;

import imagerec.worker.djl.DjlModel;
import imagerec.worker.image.Preprocessor;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.inference.BatchingPredictor;
import imagerec.worker.inference.OverloadedException;
import imagerec.worker.inference.PredictFunction;
import imagerec.worker.inference.Prediction;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model: its config, labels, the engine's model and the {@link BatchingPredictor} in
 * front of it, and the operations a request needs of them. Owns and closes all of them.
 *
 * <p>Requests hold a lease ({@link #tryAcquire()} / {@link #release()}) while they use the model, so
 * a model replaced or removed by a repository refresh is closed only after its last request ends
 * ({@link #retire}). Leases are counted under this object's lock; the close itself runs on the
 * executor given to {@code retire}, never on an inference thread.
 */
public final class ServedModel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServedModel.class);

  private final ModelConfig config;
  private final List<String> labels;
  private final int outputSize;
  private final AutoCloseable model;
  private final BatchingPredictor predictor;
  private int leases;
  private boolean retired;
  private boolean closed;
  private Executor closer;

  ServedModel(ModelConfig config, List<String> labels, int outputSize, AutoCloseable model,
              BatchingPredictor predictor) {
    this.config = config;
    this.labels = labels;
    this.outputSize = outputSize;
    this.model = model;
    this.predictor = predictor;
  }

  /**
   * Loads the model in {@code dir} on its engine, checks that its output matches its declaration
   * (an embedding is {@code [N, D]}; a classifier has one score per label), starts its inference
   * threads and warms them up.
   *
   * @param defaultName the name if model.json gives none
   * @param defaultVersion the version if model.json gives none
   * @param defaults the worker's batching settings, which model.json may override
   * @param intraOpThreads threads one inference call may use
   * @param wrap applied to every predict function (identity in production)
   */
  public static ServedModel load(Path dir, String defaultName, String defaultVersion, BatchingConfig defaults,
                                 int intraOpThreads, UnaryOperator<PredictFunction> wrap) throws ModelLoadException {
    DjlModel model = null;
    try {
      ModelConfig config = ModelConfig.read(dir, defaultName, defaultVersion, DjlModel::declaredInput);
      BatchingConfig batching = config.batching() == null ? defaults : config.batching().over(defaults);
      List<String> labels = readLabels(dir, config);
      Path file = dir.resolve(config.file());
      if (!Files.isRegularFile(file)) {
        throw new IOException(file + ": model file not found");
      }
      model = DjlModel.open(dir, file, config.engineOrDefault(), intraOpThreads);
      if (model.fixedBatch() > 0 && batching.maxBatchSize() > model.fixedBatch()) {
        batching = new BatchingConfig(batching.instances(), model.fixedBatch(), batching.maxBatchDelay(),
            batching.queueCapacity());
      }
      Supplier<PredictFunction> functions = model.functions(config.input(), config.output().name());
      int outputSize = checkOutput(functions, config, labels);
      BatchingPredictor predictor = new BatchingPredictor(config.name(), batching,
          () -> wrap.apply(functions.get()), new float[config.input().size()]);
      log.info("model {}: {}, output {} x {}", config.name(), model.describe(),
          config.output().kindOrDefault().name().toLowerCase(java.util.Locale.ROOT), outputSize);
      return new ServedModel(config, labels, outputSize, model, predictor);
    } catch (IOException | RuntimeException e) {
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

  /** The labels, one per line; an embedding model needs none. */
  private static List<String> readLabels(Path dir, ModelConfig config) throws IOException {
    Path file = dir.resolve(config.labels());
    boolean embedding = config.output().kindOrDefault() == ModelConfig.Kind.EMBEDDING;
    if (embedding && !Files.exists(file)) {
      return List.of();
    }
    List<String> labels = Files.readAllLines(file, StandardCharsets.UTF_8)
        .stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    if (labels.isEmpty() && !embedding) {
      throw new IOException(file + ": no labels");
    }
    return labels;
  }

  /** Runs one blank image and returns the output's size, or explains how it differs from the declaration. */
  private static int checkOutput(Supplier<PredictFunction> functions, ModelConfig config, List<String> labels)
      throws IOException {
    float[][] out;
    try (PredictFunction probe = functions.get()) {
      out = probe.predict(new float[][] {new float[config.input().size()]});
    } catch (Exception e) {
      throw new IOException("the model fails on a blank " + config.input().width() + "x" + config.input().height()
          + " input: " + e.getMessage(), e);
    }
    int size = out[0].length;
    if (config.output().kindOrDefault() == ModelConfig.Kind.CLASSIFICATION && size != labels.size()) {
      throw new IOException("the model returns " + size + " scores but " + config.labels() + " has "
          + labels.size() + " labels");
    }
    if (size == 0) {
      throw new IOException("the model returns an empty output");
    }
    return size;
  }

  public ModelConfig config() {
    return config;
  }

  public String name() {
    return config.name();
  }

  public String version() {
    return config.version();
  }

  public List<String> labels() {
    return labels;
  }

  /** The number of labels returned when a request asks for none. */
  public int defaultTopK() {
    return Math.min(config.topK(), labels.size());
  }

  /** What the model returns. */
  public ModelConfig.Kind kind() {
    return config.output().kindOrDefault();
  }

  /** Values per result: scores of a classifier, dimensions of an embedding. */
  public int outputSize() {
    return outputSize;
  }

  /** The image as this model's input: oriented, resized, converted and normalized as its config says. */
  public float[] input(BufferedImage image, int orientation, Preprocessor preprocessor) {
    return preprocessor.toInput(image, orientation, config.input());
  }

  /** Throws when the model's queue is full, before anything is spent on a request. */
  public void checkRoom() throws OverloadedException {
    predictor.checkRoom();
  }

  /** Throws when the model's queue has no room for {@code n} inputs. */
  public void checkRoom(int n) throws OverloadedException {
    predictor.checkRoom(n);
  }

  /** Throws unless {@code wanted} is "" (any version) or this model's version. */
  public void requireVersion(String wanted) throws UnknownModelException {
    if (!wanted.isEmpty() && !wanted.equals(version())) {
      throw new UnknownModelException(name() + " version " + wanted, List.of(name() + " version " + version()));
    }
  }

  /** Values in one input: channels x height x width. */
  public int inputSize() {
    ModelConfig.Input in = config.input();
    return in.channels() * in.height() * in.width();
  }

  /** Queues {@code input} for inference; see {@link BatchingPredictor#submit}. */
  public CompletableFuture<Prediction> submit(float[] input, long deadlineNanos) throws OverloadedException {
    return predictor.submit(input, deadlineNanos);
  }

  /** Inputs waiting for inference. */
  public int queueDepth() {
    return predictor.queueDepth();
  }

  /** Most inputs that may wait for inference. */
  public int queueCapacity() {
    return predictor.capacity();
  }

  /** Inference threads, each with its own predict function. */
  public int inferenceThreads() {
    return predictor.instances();
  }

  /** Takes a lease for one request; false once the model is retired or closed. */
  public synchronized boolean tryAcquire() {
    if (retired || closed) {
      return false;
    }
    leases++;
    return true;
  }

  /** Returns a lease; the last one of a retired model closes it. */
  public void release() {
    Executor executor;
    synchronized (this) {
      leases--;
      if (!(retired && leases == 0 && !closed)) {
        return;
      }
      closed = true;
      executor = closer;
    }
    executor.execute(this::closeQuietly);
  }

  /** Takes no new leases; closes on {@code executor} once the current ones are returned. */
  public void retire(Executor executor) {
    synchronized (this) {
      if (retired || closed) {
        return;
      }
      retired = true;
      closer = executor;
      if (leases > 0) {
        return;
      }
      closed = true;
    }
    executor.execute(this::closeQuietly);
  }

  private void closeQuietly() {
    try {
      closeResources();
      log.info("unloaded model {} version {}", config.name(), config.version());
    } catch (Exception e) {
      log.warn("error unloading model {}", config.name(), e);
    }
  }

  /** Closes at once, whatever leases are out (at shutdown, after the server stopped). */
  @Override
  public void close() throws Exception {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    closeResources();
  }

  private void closeResources() throws Exception {
    try {
      predictor.close();
    } finally {
      model.close();
    }
  }
}
