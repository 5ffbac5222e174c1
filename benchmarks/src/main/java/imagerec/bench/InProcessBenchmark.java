package imagerec.bench;

import com.google.gson.Gson;
import com.sun.management.OperatingSystemMXBean;
import imagerec.worker.djl.DjlModel;
import imagerec.worker.inference.PredictFunction;
import imagerec.worker.model.ModelConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The model's own limit: DJL predictors driven directly in this process, no gRPC, no decoding.
 * For each (instances, batch size) it runs {@code instances} threads, each with its own predictor,
 * predicting batches back to back, and prints one JSON line with images/s, batch latency and the
 * process CPU time per image. PyTorch's intra-op thread count is fixed per process, so the harness
 * runs one of these processes per thread count.
 */
@Command(name = "in-process-benchmark", mixinStandardHelpOptions = true,
    description = "Throughput of a model (TorchScript or ONNX) straight through DJL, per predictor count and batch size.")
public final class InProcessBenchmark implements Callable<Integer> {
  @Option(names = "--model-dir", required = true, description = "a model folder (model.json, .pt or .onnx, labels)")
  Path modelDir;

  @Option(names = "--threads", defaultValue = "1", description = "intra-op threads (PyTorch, ONNX Runtime)")
  int threads;

  @Option(names = "--instances", split = ",", defaultValue = "1,2", description = "predictor threads")
  List<Integer> instances;

  @Option(names = "--batches", split = ",", defaultValue = "1,2,4,8,16,32", description = "batch sizes")
  List<Integer> batches;

  @Option(names = "--seconds", defaultValue = "3", description = "measured time per configuration")
  double seconds;

  @Option(names = "--warmup-seconds", defaultValue = "1", description = "unmeasured time per configuration")
  double warmupSeconds;

  @Option(names = "--pause-us", defaultValue = "0",
      description = "pause of each predictor thread between batches (0: back to back); with a pause, each batch "
          + "meets the caches and clocks a request arriving alone meets")
  long pauseMicros;

  @Override
  public Integer call() throws Exception {
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    System.setProperty("ai.djl.offline", "true");
    ModelConfig config = ModelConfig.read(modelDir, modelDir.getFileName().toString(), "1");
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Gson gson = new Gson();
    try (DjlModel model = DjlModel.open(modelDir, modelDir.resolve(config.file()), config.engineOrDefault(), threads)) {
      Supplier<PredictFunction> newFunction = model.functions(config.input(), config.output().name());
      float[] image = new float[config.input().size()];
      Random random = new Random(1);
      for (int i = 0; i < image.length; i++) {
        image[i] = (float) random.nextGaussian();
      }
      for (int n : instances) {
        for (int batch : batches) {
          float[][] inputs = new float[batch][];
          for (int i = 0; i < batch; i++) {
            inputs[i] = image;
          }
          List<PredictFunction> functions = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            functions.add(newFunction.get());
          }
          run(functions, inputs, warmupSeconds, null, pauseMicros);
          long cpuBefore = os.getProcessCpuTime();
          Histogram latency = new ConcurrentHistogram(3);
          long start = System.nanoTime();
          long images = run(functions, inputs, seconds, latency, pauseMicros);
          double elapsed = (System.nanoTime() - start) / 1e9;
          long cpu = os.getProcessCpuTime() - cpuBefore;
          functions.forEach(PredictFunction::close);
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("model", config.name());
          line.put("engine", config.engineOrDefault().djlName());
          line.put("threads", threads);
          line.put("instances", n);
          line.put("batch", batch);
          line.put("images_per_s", images / elapsed);
          line.put("cpu_us_per_image", cpu / 1000.0 / images);
          line.put("batch_p50_ms", latency.getValueAtPercentile(50) / 1000.0);
          line.put("batch_p99_ms", latency.getValueAtPercentile(99) / 1000.0);
          System.out.println(gson.toJson(line));
          System.out.flush();
        }
      }
    }
    return 0;
  }

  /** Runs every function on its own thread for {@code seconds}; returns the images predicted. */
  private static long run(List<PredictFunction> functions, float[][] inputs, double seconds, Histogram latency,
                          long pauseMicros)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    LongAdder images = new LongAdder();
    CountDownLatch done = new CountDownLatch(functions.size());
    for (PredictFunction f : functions) {
      Thread t = new Thread(() -> {
        try {
          while (!stop.get()) {
            long s = System.nanoTime();
            f.predict(inputs);
            if (latency != null) {
              latency.recordValue((System.nanoTime() - s) / 1000);
            }
            images.add(inputs.length);
            if (pauseMicros > 0) {
              LockSupport.parkNanos(pauseMicros * 1000);
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        } finally {
          done.countDown();
        }
      });
      t.start();
    }
    Thread.sleep((long) (seconds * 1000));
    stop.set(true);
    done.await();
    return images.sum();
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new InProcessBenchmark()).execute(args));
  }
}
