package imagerec.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import imagerec.worker.image.ExifOrientation;
import imagerec.worker.image.ImageDecoder;
import imagerec.worker.image.Preprocessor;
import imagerec.worker.model.ModelConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * CPU per image of the worker's preprocessing for a 224x224 ImageNet model, decoding apart,
 * beside PIL + torchvision's pipeline on the same images in the same run: the torchvision
 * evaluation geometry (shorter side 256, centre crop 224), PIL-exact "stretch", and the worker's
 * previous path (Java2D bilinear stretch without antialiasing). One thread each.
 */
@Command(name = "benchmark-preprocessing", mixinStandardHelpOptions = true,
    description = "CPU per image of decoding and preprocessing, the worker's against PIL + torchvision's.")
public final class PreprocessingBenchmark implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "encoded images (JPEG, PNG, ...)")
  List<Path> images;

  @Option(names = "--seconds", defaultValue = "3", description = "measured CPU seconds per stage and image")
  double seconds;

  @Option(names = "--root", defaultValue = "${env:IMAGEREC_HOME:-.}", description = "the imagerec checkout")
  Path root;

  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  /** One stage measured: the work, run until enough CPU time has passed. */
  private interface Work {
    Object run() throws Exception;
  }

  @Override
  public Integer call() throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    ModelConfig.Input shorter = new ModelConfig.Input(224, 224, 3, MEAN, STD, "shorter", 256, "center", null, null,
        null, null, null);
    ModelConfig.Input stretch = ModelConfig.Input.of(224, 224, 3, MEAN, STD);
    ImageDecoder decoder = new ImageDecoder(1L << 26);
    Preprocessor preprocessor = new Preprocessor();
    Map<String, JsonObject> python = python();
    System.out.printf("# Preprocessing benchmark, %s%n%n", Instant.now().truncatedTo(ChronoUnit.SECONDS));
    System.out.printf("Machine: %d cores, Java %s. CPU milliseconds per image on one thread, %.0f s per stage; Python: "
        + "Debian's PIL and torchvision (benchmarks/python/preprocess_benchmark.py) in the same run.%n%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), seconds);
    System.out.println("| image | stage | imagerec ms | PIL + torchvision ms | imagerec / Python |");
    System.out.println("|---|---|---|---|---|");
    for (Path path : images) {
      byte[] bytes = Files.readAllBytes(path);
      int orientation = ExifOrientation.of(bytes);
      BufferedImage image = decoder.decode(bytes);
      String name = path.getFileName().toString() + " (" + image.getWidth() + "x" + image.getHeight() + ")";
      JsonObject py = python.get(path.getFileName().toString());
      double decode = cpuPerImage(threads, () -> decoder.decode(bytes));
      double eval = cpuPerImage(threads, () -> preprocessor.toInput(image, orientation, shorter));
      double pilStretch = cpuPerImage(threads, () -> preprocessor.toInput(image, orientation, stretch));
      double before = cpuPerImage(threads, () -> java2dStretch(image));
      row(name, "decode", decode, py.get("decode_ms").getAsDouble());
      row(name, "resize 256 + crop 224 + normalise", eval, py.get("preprocess_ms").getAsDouble());
      row(name, "stretch to 224 (PIL-exact) + normalise", pilStretch, Double.NaN);
      row(name, "before: Java2D bilinear stretch + normalise", before, Double.NaN);
    }
    return 0;
  }

  private static void row(String image, String stage, double java, double python) {
    System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %s | %s |%n", image, stage, java,
        Double.isNaN(python) ? "" : String.format(Locale.ROOT, "%.2f", python),
        Double.isNaN(python) ? "" : String.format(Locale.ROOT, "%.2f", java / python));
  }

  private double cpuPerImage(ThreadMXBean threads, Work work) throws Exception {
    long warmEnd = threads.getCurrentThreadCpuTime() + (long) (seconds * 0.5e9);
    while (threads.getCurrentThreadCpuTime() < warmEnd) {
      work.run();
    }
    long start = threads.getCurrentThreadCpuTime();
    long end = start + (long) (seconds * 1e9);
    int n = 0;
    while (threads.getCurrentThreadCpuTime() < end || n < 3) {
      work.run();
      n++;
    }
    return (threads.getCurrentThreadCpuTime() - start) / 1e6 / n;
  }

  /** The worker's previous colour path: Java2D bilinear drawing to the model's size, then normalising. */
  private static float[] java2dStretch(BufferedImage image) {
    BufferedImage target = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = target.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(image, 0, 0, 224, 224, Color.BLACK, null);
    } finally {
      g.dispose();
    }
    int[] rgb = target.getRGB(0, 0, 224, 224, null, 0, 224);
    float[] out = new float[3 * rgb.length];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < rgb.length; i++) {
        out[c * rgb.length + i] = (((rgb[i] >> (16 - 8 * c)) & 0xff) / 255f - MEAN[c]) / STD[c];
      }
    }
    return out;
  }

  private Map<String, JsonObject> python() throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3",
        root.resolve("benchmarks/python/preprocess_benchmark.py").toString(), "--seconds", Double.toString(seconds)));
    images.forEach(p -> command.add(p.toString()));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Map<String, JsonObject> byFile = new HashMap<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        byFile.put(o.get("file").getAsString(), o);
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("the Python benchmark failed (Debian's python3-torch, python3-torchvision, python3-pil)");
    }
    return byFile;
  }

  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new PreprocessingBenchmark()).execute(args));
  }
}
