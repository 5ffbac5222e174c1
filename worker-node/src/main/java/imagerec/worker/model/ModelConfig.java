package imagerec.worker.model;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import imagerec.worker.inference.BatchingConfig;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The contents of a model folder's {@code model.json}, validated; docs/MODELS.md is the reference.
 *
 * <pre>{@code
 * {
 *   "name": "resnet18", "version": "1", "description": "...",
 *   "file": "resnet18.onnx", "labels": "synset.txt", "engine": "OnnxRuntime",
 *   "input": {"width": 224, "height": 224, "channels": 3, "resize": "shorter", "resizeTo": 256,
 *             "crop": "center", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
 *   "output": {"kind": "classification", "activation": "softmax"},
 *   "topK": 5,
 *   "batching": {"instances": 2, "maxBatchSize": 8, "maxBatchDelayMillis": 0, "queueCapacity": 256},
 *   "training": {"any": "free-form notes on how the model was made"}
 * }
 * }</pre>
 *
 * <p>Every field is checked: an unknown field (a typo, or a field of a newer worker), an unknown
 * choice or an impossible combination refuses the whole file with a message naming the field.
 *
 * @param name model name used in requests
 * @param version free-form version string reported in responses
 * @param description one line for humans
 * @param file the model file, relative to the model folder (TorchScript {@code .pt} or {@code .onnx})
 * @param labels the labels file (one label per line, in output order), relative to the folder
 * @param engine the DJL engine; null or absent: from the file's extension
 * @param input how an image becomes the model's input
 * @param output what the model returns and how it becomes a response
 * @param topK default number of labels returned
 * @param batching optional overrides of the worker's batching settings for this model
 * @param cacheable false when the model's answers are not a pure function of the image
 * @param training free-form notes on how the model was made (not read by the worker)
 */
public record ModelConfig(
    String name, String version, String description, String file, String labels, String engine, Input input,
    Output output, int topK, Batching batching, Boolean cacheable, JsonObject training) {

  /** The engines a model can run on, by DJL's engine name. */
  public enum Engine {
    PYTORCH("PyTorch"), ONNX_RUNTIME("OnnxRuntime");

    private final String djlName;

    Engine(String djlName) {
      this.djlName = djlName;
    }

    /** DJL's name of the engine. */
    public String djlName() {
      return djlName;
    }
  }

  /** How the image is brought to the model's size. */
  public enum Resize { STRETCH, SHORTER, LONGER }

  /** The resampling filter (PIL's). */
  public enum Interpolation { BILINEAR, BICUBIC }

  /** The kinds of result a model gives. */
  public enum Kind { CLASSIFICATION, EMBEDDING }

  /** What turns a classifier's outputs into scores. */
  public enum Activation { SOFTMAX, SIGMOID, NONE }

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

  /**
   * Input geometry, resizing and normalization, as torchvision's transforms would do them.
   *
   * @param resize "stretch" (default), "shorter" or "longer"
   * @param resizeTo the size the shorter or longer side is resized to (or both sides, for "stretch"
   *     with a centre crop)
   * @param crop "none" (default) or "center"
   * @param pad letterbox fill of "longer", 0..255
   * @param interpolation "bilinear" (default) or "bicubic"
   * @param exif "apply" (default) or "ignore" the EXIF orientation
   * @param colorOrder "RGB" (default) or "BGR"
   * @param layout "NCHW" (default) or "NHWC"
   */
  public record Input(int width, int height, int channels, float[] mean, float[] std, String resize,
                      Integer resizeTo, String crop, Integer pad, String interpolation, String exif,
                      String colorOrder, String layout) {

    /** Today's default input: stretched to {@code width x height}, bilinear, EXIF applied, RGB, NCHW. */
    public static Input of(int width, int height, int channels, float[] mean, float[] std) {
      return new Input(width, height, channels, mean, std, null, null, null, null, null, null, null, null);
    }

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

    public Resize resizeMode() {
      return resize == null ? Resize.STRETCH : Resize.valueOf(resize.toUpperCase(Locale.ROOT));
    }

    public boolean centerCrop() {
      return "center".equalsIgnoreCase(crop);
    }

    public Interpolation interpolationMode() {
      return interpolation == null ? Interpolation.BILINEAR
          : Interpolation.valueOf(interpolation.toUpperCase(Locale.ROOT));
    }

    public boolean applyExif() {
      return !"ignore".equalsIgnoreCase(exif);
    }

    public boolean bgr() {
      return "BGR".equalsIgnoreCase(colorOrder);
    }

    public boolean nhwc() {
      return "NHWC".equalsIgnoreCase(layout);
    }

    /** The size of the side {@code resize} names, with its default. */
    public int resizeToOrDefault() {
      if (resizeTo != null) {
        return resizeTo;
      }
      return resizeMode() == Resize.LONGER ? Math.min(width, height) : Math.max(width, height);
    }

    /** Letterbox fill. */
    public int padOrDefault() {
      return pad == null ? 0 : pad;
    }

    @Override
    public String toString() {
      String geometry = resizeMode() == Resize.STRETCH && !centerCrop() ? "stretch"
          : resize.toLowerCase(Locale.ROOT) + " " + resizeToOrDefault() + (centerCrop() ? " crop" : "");
      return channels + "x" + height + "x" + width + " " + geometry + " " + interpolationMode().name().toLowerCase(Locale.ROOT)
          + (bgr() ? " BGR" : "") + (nhwc() ? " NHWC" : "")
          + " mean=" + Arrays.toString(mean) + " std=" + Arrays.toString(std);
    }
  }

  /**
   * What the model returns.
   *
   * @param kind "classification" (default) or "embedding"
   * @param activation of a classifier: "softmax" (default), "sigmoid" (independent scores) or "none"
   *     (the model returns probabilities)
   * @param threshold of a classifier: labels scoring below it are left out
   * @param normalize of an embedding: L2-normalise the vector (default true)
   * @param name the output to use when the model has several (default: the first)
   */
  public record Output(String kind, String activation, Float threshold, Boolean normalize, String name) {

    /** A classifier with softmax. */
    public static final Output DEFAULT = new Output(null, null, null, null, null);

    public Kind kindOrDefault() {
      return kind == null ? Kind.CLASSIFICATION : Kind.valueOf(kind.toUpperCase(Locale.ROOT));
    }

    public Activation activationOrDefault() {
      return activation == null ? Activation.SOFTMAX : Activation.valueOf(activation.toUpperCase(Locale.ROOT));
    }

    public boolean normalizeOrDefault() {
      return normalize == null || normalize;
    }
  }

  private static final Gson GSON = new Gson();

  /** Fields whose contents are free-form and not checked. */
  private static final List<String> FREE_FORM = List.of("training");

  /**
   * Reads and validates {@code dir/model.json}.
   *
   * @param defaultName the name when the file gives none (the model folder's name)
   * @param defaultVersion the version when the file gives none (the version folder's name, or "1")
   */
  public static ModelConfig read(Path dir, String defaultName, String defaultVersion) throws IOException {
    return read(dir, defaultName, defaultVersion, InputShape.NONE);
  }

  /**
   * What a model file declares of its input: {@code {channels, height, width}}, or null when it does
   * not fix them (TorchScript declares no shapes; an ONNX export may leave them dynamic).
   */
  @FunctionalInterface
  public interface InputShape {
    InputShape NONE = (file, engine, nhwc) -> null;

    int[] of(Path modelFile, Engine engine, boolean nhwc) throws IOException;
  }

  /**
   * As {@link #read(Path, String, String)}; the input's width, height and channels, when model.json
   * leaves them out, are taken from what the model file declares ({@code shape}).
   */
  public static ModelConfig read(Path dir, String defaultName, String defaultVersion, InputShape shape)
      throws IOException {
    Path file = dir.resolve("model.json");
    ModelConfig raw;
    try {
      JsonElement tree = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (tree == null || tree.isJsonNull()) {
        throw new IOException(file + ": empty");
      }
      if (!tree.isJsonObject()) {
        throw new IOException(file + ": not a JSON object");
      }
      String unknown = unknownField(tree.getAsJsonObject(), ModelConfig.class, "");
      if (unknown != null) {
        throw new IOException(file + ": " + unknown);
      }
      raw = GSON.fromJson(tree, ModelConfig.class);
    } catch (JsonParseException | NumberFormatException e) {
      throw new IOException(file + ": not valid JSON for a model: " + jsonProblem(e), e);
    }
    return raw.withDefaults(dir, defaultName, defaultVersion).withDeclaredInput(dir, shape).validated(file);
  }

  /**
   * Gson's reason and place ("Expected ':' at line 1 column 7 path $.bad"), one line: its exception
   * names the wrapped exception's class and adds a line pointing at its troubleshooting page.
   */
  private static String jsonProblem(RuntimeException e) {
    Throwable innermost = e;
    while (innermost.getCause() != null && innermost.getCause().getMessage() != null) {
      innermost = innermost.getCause();
    }
    return String.valueOf(innermost.getMessage()).lines().findFirst().orElse("");
  }

  /** The first field of {@code object} that {@code type} (a record) does not have, searched depth first. */
  private static String unknownField(JsonObject object, Class<?> type, String prefix) {
    Map<String, Class<?>> known = new java.util.LinkedHashMap<>();
    for (RecordComponent c : type.getRecordComponents()) {
      known.put(c.getName(), c.getType());
    }
    for (Map.Entry<String, JsonElement> e : object.entrySet()) {
      Class<?> fieldType = known.get(e.getKey());
      if (fieldType == null) {
        return "unknown field \"" + prefix + e.getKey() + "\" (known fields" + (prefix.isEmpty() ? "" : " of "
            + prefix.substring(0, prefix.length() - 1)) + ": " + String.join(", ", known.keySet()) + ")";
      }
      if (fieldType.isRecord() && e.getValue().isJsonObject() && !FREE_FORM.contains(e.getKey())) {
        String inner = unknownField(e.getValue().getAsJsonObject(), fieldType, prefix + e.getKey() + ".");
        if (inner != null) {
          return inner;
        }
      }
    }
    return null;
  }

  private ModelConfig withDefaults(Path dir, String folderName, String folderVersion) {
    return new ModelConfig(
        blank(name) ? folderName : name,
        blank(version) ? folderVersion : version,
        description == null ? "" : description,
        blank(file) ? defaultFile(dir, folderName) : file,
        blank(labels) ? "synset.txt" : labels,
        engine,
        input,
        output == null ? Output.DEFAULT : output,
        topK <= 0 ? 5 : topK,
        batching,
        cacheable,
        training);
  }

  /**
   * {@code <name>.pt}, or else the folder's only {@code .pt} or {@code .onnx} file: KServe's storage
   * initializer keeps the name the model was uploaded with.
   */
  private static String defaultFile(Path dir, String name) {
    if (!Files.isRegularFile(dir.resolve(name + ".pt"))) {
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        List<String> models = files.map(f -> f.getFileName().toString())
            .filter(f -> f.endsWith(".pt") || f.endsWith(".onnx")).toList();
        if (models.size() == 1) {
          return models.get(0);
        }
      } catch (IOException e) {
        // unreadable: the default name, which the load then reports missing
      }
    }
    return name + ".pt";
  }

  /** With the input's missing width, height and channels taken from the model file, where it fixes them. */
  private ModelConfig withDeclaredInput(Path dir, InputShape shape) throws IOException {
    if (input == null || input.width > 0 && input.height > 0 && input.channels > 0) {
      return this;
    }
    int[] chw = shape.of(dir.resolve(file), engineOrDefault(), input.nhwc());
    if (chw == null) {
      return this; // validation names what is missing
    }
    Input declared = new Input(input.width > 0 ? input.width : chw[2], input.height > 0 ? input.height : chw[1],
        input.channels > 0 ? input.channels : chw[0], input.mean, input.std, input.resize, input.resizeTo,
        input.crop, input.pad, input.interpolation, input.exif, input.colorOrder, input.layout);
    return new ModelConfig(name, version, description, file, labels, engine, declared, output, topK, batching,
        cacheable, training);
  }

  /** The engine named by {@code engine}, or by the file's extension. */
  public Engine engineOrDefault() {
    if (engine != null) {
      return engine.equalsIgnoreCase("PyTorch") ? Engine.PYTORCH : Engine.ONNX_RUNTIME;
    }
    return file.toLowerCase(Locale.ROOT).endsWith(".onnx") ? Engine.ONNX_RUNTIME : Engine.PYTORCH;
  }

  /** False when the model's answers may not be cached. */
  public boolean cacheableOrDefault() {
    return cacheable == null || cacheable;
  }

  private ModelConfig validated(Path source) throws IOException {
    try {
      validate();
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage());
    }
    return this;
  }

  private void validate() {
    if (engine != null && !engine.equalsIgnoreCase("PyTorch") && !engine.equalsIgnoreCase("OnnxRuntime")) {
      throw new IllegalArgumentException("engine \"" + engine + "\" is not PyTorch or OnnxRuntime");
    }
    if (input == null) {
      throw new IllegalArgumentException("missing \"input\" {width, height, channels, mean, std}");
    }
    if (input.width == 0 || input.height == 0 || input.channels == 0) {
      throw new IllegalArgumentException("missing input.width, input.height or input.channels (needed unless the "
          + "model file fixes them, as an ONNX model exported with a static input shape does)");
    }
    if (input.width < 0 || input.height < 0 || input.width > 4096 || input.height > 4096) {
      throw new IllegalArgumentException("input width and height must be in 1..4096");
    }
    if (input.channels != 1 && input.channels != 3) {
      throw new IllegalArgumentException("input channels must be 1 (grayscale) or 3 (RGB)");
    }
    for (float[] values : List.of(nonNull(input.mean), nonNull(input.std))) {
      if (values.length != 1 && values.length != input.channels) {
        throw new IllegalArgumentException("input mean and std need 1 or " + input.channels + " values");
      }
    }
    for (float s : nonNull(input.std)) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("input std values must be positive");
      }
    }
    choice("input.resize", input.resize, "stretch", "shorter", "longer");
    choice("input.crop", input.crop, "none", "center");
    choice("input.interpolation", input.interpolation, "bilinear", "bicubic");
    choice("input.exif", input.exif, "apply", "ignore");
    choice("input.colorOrder", input.colorOrder, "RGB", "BGR");
    choice("input.layout", input.layout, "NCHW", "NHWC");
    validateGeometry();
    choice("output.kind", output.kind, "classification", "embedding");
    choice("output.activation", output.activation, "softmax", "sigmoid", "none");
    if (output.kindOrDefault() == Kind.EMBEDDING && (output.activation != null || output.threshold != null)) {
      throw new IllegalArgumentException("output.activation and output.threshold are for classification, not embedding");
    }
    if (output.kindOrDefault() == Kind.CLASSIFICATION && output.normalize != null) {
      throw new IllegalArgumentException("output.normalize is for embedding, not classification");
    }
    if (output.threshold != null && !(output.threshold >= 0 && output.threshold <= 1)
        && output.activationOrDefault() != Activation.NONE) {
      throw new IllegalArgumentException("output.threshold must be in 0..1, got " + output.threshold);
    }
    if (batching != null) {
      batching.over(new BatchingConfig(1, 1, Duration.ZERO, 1));
    }
  }

  private void validateGeometry() {
    Resize mode = input.resizeMode();
    int to = input.resizeToOrDefault();
    if (input.resizeTo != null && (to < 1 || to > 8192)) {
      throw new IllegalArgumentException("input.resizeTo must be in 1..8192, got " + to);
    }
    if (input.pad != null && (input.pad < 0 || input.pad > 255)) {
      throw new IllegalArgumentException("input.pad must be in 0..255, got " + input.pad);
    }
    if (input.pad != null && mode != Resize.LONGER) {
      throw new IllegalArgumentException("input.pad is for \"resize\": \"longer\" (letterbox) only");
    }
    switch (mode) {
      case SHORTER -> {
        if (!input.centerCrop()) {
          throw new IllegalArgumentException("input.resize \"shorter\" needs \"crop\": \"center\": the model's input is "
              + input.width + "x" + input.height + " whatever the image's aspect ratio");
        }
      }
      case LONGER -> {
        if (input.centerCrop()) {
          throw new IllegalArgumentException("input.crop \"center\" cannot follow \"resize\": \"longer\" (letterbox)");
        }
        if (to > Math.min(input.width, input.height)) {
          throw new IllegalArgumentException("input.resizeTo " + to + " of \"longer\" does not fit the "
              + input.width + "x" + input.height + " canvas");
        }
      }
      case STRETCH -> {
        if (input.centerCrop() && input.resizeTo == null) {
          throw new IllegalArgumentException("input.crop \"center\" after \"stretch\" needs \"resizeTo\"");
        }
        if (!input.centerCrop() && input.resizeTo != null) {
          throw new IllegalArgumentException("input.resizeTo is not used by \"stretch\" without \"crop\": \"center\"");
        }
      }
      default -> throw new AssertionError(mode);
    }
    if (input.centerCrop() && (to < input.width || to < input.height)) {
      throw new IllegalArgumentException("input.crop " + input.width + "x" + input.height
          + " is larger than the resized image (resizeTo " + to + ")");
    }
  }

  private static void choice(String field, String value, String... allowed) {
    if (value == null) {
      return;
    }
    for (String a : allowed) {
      if (a.equalsIgnoreCase(value)) {
        return;
      }
    }
    throw new IllegalArgumentException(field + " \"" + value + "\" is not one of " + String.join(", ", allowed));
  }

  private static float[] nonNull(float[] values) {
    return values == null ? new float[0] : values;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
