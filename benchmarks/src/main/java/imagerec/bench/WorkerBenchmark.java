package imagerec.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import imagerec.cli.bench.CallSender;
import imagerec.cli.bench.LoadGenerator;
import imagerec.cli.bench.StepResult;
import imagerec.cli.bench.StreamSender;
import imagerec.cli.bench.UnarySender;
import imagerec.v1.RecognizeRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The serving engine measured against the model's own limit, in one run on one machine:
 * (1) the model in process through DJL at every predictor count and batch size, (2) a sweep of
 * worker settings, (3) one worker process over gRPC at a concurrency sweep, with and without
 * batching, its default settings both in unary calls and in items of one stream, (4) the same
 * through a balancer process, (5) a sustained run for memory. Prints markdown tables and the
 * ratios the performance targets are stated in. The load generator is {@code imagerec bench}'s,
 * running in this JVM on the same cores.
 */
@Command(name = "benchmark-worker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Benchmark the worker against the in-process limit of its model, straight and through the balancer.")
public final class WorkerBenchmark implements Callable<Integer> {
  /** The pause between single images of the paced in-process reference: about a concurrency-1 call's time outside inference. */
  private static final long PACED_PAUSE_MICROS = 500;

  @Option(names = "--models", split = ",", defaultValue = "fashion-mnist,resnet18",
      description = "models to measure: fashion-mnist (bundled), fashion-mnist-onnx (its ONNX export), resnet18 and "
          + "resnet18-onnx (generated with torchvision: TorchScript and ONNX)")
  List<String> models;

  @Option(names = "--seconds", defaultValue = "6", description = "measured seconds per step")
  double seconds;

  @Option(names = "--concurrency", split = ",", defaultValue = "1,4,16,64", description = "concurrency sweep")
  List<Integer> concurrency;

  @Option(names = "--sweep", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "also sweep worker settings (instances, threads, batch size, delay)")
  boolean sweep;

  @Option(names = "--soak-seconds", defaultValue = "60", description = "sustained run for memory; 0 to skip")
  int soakSeconds;

  @Option(names = "--root", defaultValue = "${env:IMAGEREC_HOME:-.}", description = "the imagerec checkout")
  Path root;

  private Path logDir;

  /** Models exported by training/export_models.py for the benchmark. */
  private static final List<String> GENERATED = List.of("resnet18", "resnet18-onnx", "fashion-mnist-onnx");

  /** Settings of one worker process. */
  record Settings(int instances, int threads, int maxBatch, int delayMs) {
    List<String> flags() {
      return List.of("--instances", Integer.toString(instances), "--intra-op-threads", Integer.toString(threads),
          "--max-batch-size", Integer.toString(maxBatch), "--max-batch-delay-ms", Integer.toString(delayMs));
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d x %d thr, batch %d, delay %d ms", instances, threads, maxBatch, delayMs);
    }
  }

  @Override
  public Integer call() throws Exception {
    root = root.toAbsolutePath().normalize();
    logDir = root.resolve("benchmarks/target/logs");
    System.out.printf("# Worker benchmark, %s%n%n", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    System.out.printf("Machine: %d cores, Java %s, %s. Load generator in the benchmark JVM on the same cores.%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), System.getProperty("os.name"));
    System.out.printf("Steps of %.0f s after a warm-up; worker and balancer started by their bin/ launchers.%n", seconds);
    System.out.printf("glibc malloc settings of the in-process runs (the worker launcher sets the same): %s.%n", mallocSettings());
    for (String model : models) {
      runModel(model);
    }
    return 0;
  }

  private void runModel(String model) throws Exception {
    Path repository;
    List<RecognizeRequest> requests;
    String batches;
    if (model.equals("fashion-mnist")) {
      repository = root.resolve("models");
      requests = samples(root.resolve("samples"));
      batches = "1,2,4,8,16,32";
    } else if (GENERATED.contains(model)) {
      // a repository of its own per model, so that requests naming none reach it
      repository = root.resolve("benchmarks/target/engine-models").resolve(model);
      if (!Files.exists(repository.resolve(model).resolve("model.json"))) {
        exec(List.of("/usr/bin/python3", root.resolve("training/export_models.py").toString(), "--only", model,
            "--out", repository.toString()));
      }
      boolean fashion = model.startsWith("fashion-mnist");
      requests = fashion ? samples(root.resolve("samples")) : photos(8);
      batches = fashion ? "1,2,4,8,16,32" : "1,2,4,8";
    } else {
      throw new CommandLine.ParameterException(new CommandLine(this), "unknown model " + model);
    }
    Path modelDir = repository.resolve(model);
    System.out.printf("%n## %s%n", model);

    // 1. the limit
    List<JsonObject> inProcess = new ArrayList<>();
    inProcess.addAll(inProcess(modelDir, 1, "1,2", batches));
    inProcess.addAll(inProcess(modelDir, 2, "1", batches));
    System.out.printf("%n### 1. In process, straight through DJL (no gRPC, no decoding)%n%n");
    System.out.println("| predictors x intra-op threads | batch | images/s | CPU us/image | batch p50 ms | batch p99 ms |");
    System.out.println("|---|---|---|---|---|---|");
    for (JsonObject r : inProcess) {
      System.out.printf(Locale.ROOT, "| %d x %d thr | %d | %.0f | %.0f | %.2f | %.2f |%n", r.get("instances").getAsInt(),
          r.get("threads").getAsInt(), r.get("batch").getAsInt(), r.get("images_per_s").getAsDouble(),
          r.get("cpu_us_per_image").getAsDouble(), r.get("batch_p50_ms").getAsDouble(), r.get("batch_p99_ms").getAsDouble());
    }
    JsonObject limit = inProcess.stream().max(Comparator.comparingDouble(r -> r.get("images_per_s").getAsDouble())).orElseThrow();
    double limitRate = limit.get("images_per_s").getAsDouble();
    int cores = Runtime.getRuntime().availableProcessors();
    defaultShape = inProcess.stream()
        .filter(r -> r.get("threads").getAsInt() == 1 && r.get("instances").getAsInt() == cores).toList();
    double limitCpu = inProcess.stream().mapToDouble(r -> r.get("cpu_us_per_image").getAsDouble()).min().orElseThrow();
    JsonObject single = inProcess.stream().filter(r -> r.get("batch").getAsInt() == 1 && r.get("instances").getAsInt() == 1
        && r.get("threads").getAsInt() == 1).findFirst().orElseThrow();
    System.out.printf(Locale.ROOT, "%nLimit: %.0f images/s (%d predictors x %d intra-op threads, batch %d); least CPU per image: %.0f us.%n",
        limitRate, limit.get("instances").getAsInt(), limit.get("threads").getAsInt(), limit.get("batch").getAsInt(), limitCpu);

    // 2. settings sweep
    if (sweep) {
      System.out.printf("%n### 2. Worker settings sweep (one worker over gRPC, unary)%n%n");
      System.out.println("| predictors x intra-op threads, max batch, delay | c=1 p50 ms | c=1 p99 ms | c=16 images/s | c=16 p99 ms "
          + "| c=16 mean batch | c=64 images/s | c=64 p99 ms | c=64 mean batch |");
      System.out.println("|---|---|---|---|---|---|---|---|---|");
      List<Integer> maxBatches = model.startsWith("resnet18") ? List.of(1, 4) : List.of(1, 8, 32);
      List<Integer> delays = model.startsWith("resnet18") ? List.of(0) : List.of(0, 2);
      for (int[] it : new int[][] {{1, 1}, {2, 1}, {1, 2}}) {
        for (int maxBatch : maxBatches) {
          for (int delay : delays) {
            if (maxBatch == 1 && delay > 0) {
              continue;
            }
            Settings s = new Settings(it[0], it[1], maxBatch, delay);
            try (LocalProcess worker = worker(repository, s.flags()); Client ch = client(worker)) {
              LoadGenerator gen = new LoadGenerator(requests);
              warm(gen, ch);
              StepResult c1 = step(gen, ch, 1, seconds / 2);
              StepResult c16 = step(gen, ch, 16, seconds / 2);
              StepResult c64 = step(gen, ch, 64, seconds / 2);
              System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.0f | %.2f | %.1f | %.0f | %.2f | %.1f |%n", s, c1.millis(50),
                  c1.millis(99), c16.callsPerSecond(), c16.millis(99), c16.meanBatch(), c64.callsPerSecond(), c64.millis(99),
                  c64.meanBatch());
            }
          }
        }
      }
    }

    // 3. one worker at its defaults, and without batching
    System.out.printf("%n### 3. One worker over gRPC, default settings (unary calls, then items of one stream) vs no batching%n%n");
    System.out.println(SERVED_HEADER);
    System.out.println(SERVED_RULE);
    double rssStart;
    double rssEnd;
    Map<Integer, StepResult> served = new TreeMap<>();
    Map<Integer, StepResult> streamed = new TreeMap<>();
    try (LocalProcess worker = worker(repository, List.of()); Client ch = client(worker)) {
      LoadGenerator gen = new LoadGenerator(requests);
      warmSteady(gen, ch);
      rssStart = worker.rssMiB();
      for (int c : concurrency) {
        served.put(c, printServed("defaults", gen, ch, c, worker, limitRate, limitCpu));
      }
      // the same worker, each image an item of one RecognizeStream: no HTTP/2 stream, headers and
      // trailers per image, on either side of the connection
      step(gen, ch, 16, 5, true); // the stream path's own warm-up
      for (int c : concurrency) {
        streamed.put(c, printServed("defaults, stream", gen, ch, c, worker, limitRate, limitCpu, true));
      }
      // 4. the same worker through a balancer
      System.out.printf("%n### 4. Through a balancer process (same worker)%n%n");
      System.out.println("x straight: against the same worker without the balancer, in the same mode, measured just before "
          + "(each pair of steps side by side, so that the host's drift between them stays small).");
      System.out.println();
      System.out.println("| mode | concurrency | images/s | straight images/s | x limit | x straight | p50 ms | p90 ms | p99 ms "
          + "| mean batch | worker CPU us/image | balancer CPU us/image |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
      try (LocalProcess balancer = LocalProcess.start("balancer", logDir, root.resolve("bin/imagerec-balancer"),
          List.of("--workers", worker.address(), "--admin-port", "0")); Client viaBalancer = client(balancer)) {
        waitServing(viaBalancer);
        step(gen, viaBalancer, 64, 20); // a fresh balancer JVM compiles for longer than a warm-up step (docs/PERFORMANCE.md)
        step(gen, viaBalancer, 16, 5, true);
        for (boolean stream : new boolean[] {false, true}) {
          for (int c : concurrency) {
            double straight = step(gen, ch, c, seconds, stream).callsPerSecond();
            long wCpu = worker.cpuNanos();
            long bCpu = balancer.cpuNanos();
            StepResult r = step(gen, viaBalancer, c, seconds, stream);
            double wPer = (worker.cpuNanos() - wCpu) / 1000.0 / r.ok();
            double bPer = (balancer.cpuNanos() - bCpu) / 1000.0 / r.ok();
            System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f | %.0f |%n",
                stream ? "stream" : "unary", c, r.callsPerSecond(), straight, r.callsPerSecond() / limitRate,
                r.callsPerSecond() / straight, r.millis(50), r.millis(90), r.millis(99), r.meanBatch(), wPer, bPer);
          }
        }
      }
      // 5. sustained load: memory, read when the run begins (after every step above has run, so
      // whatever the worker allocates once per batch shape exists), halfway and at the end
      if (soakSeconds > 0) {
        double rssBegin = worker.rssMiB();
        StepResult first = step(gen, ch, 16, soakSeconds / 2.0);
        double rssHalf = worker.rssMiB();
        StepResult second = step(gen, ch, 16, soakSeconds / 2.0);
        rssEnd = worker.rssMiB();
        long calls = first.calls() + second.calls();
        long failed = calls - first.ok() - second.ok();
        System.out.printf(Locale.ROOT, "%n### 5. Sustained load%n%nWorker RSS %.0f MiB after warm-up, %.0f MiB after the steps "
            + "above, then at concurrency 16: %.0f MiB after %d s, %.0f MiB after %d s (%d calls, %d failed).%n",
            rssStart, rssBegin, rssHalf, soakSeconds / 2, rssEnd, soakSeconds, calls, failed);
      }
    }
    try (LocalProcess worker = worker(unbatched(modelDir), List.of("--max-batch-size", "1")); Client ch = client(worker)) {
      LoadGenerator gen = new LoadGenerator(requests);
      warmSteady(gen, ch);
      System.out.printf("%nNo batching (--max-batch-size 1, and the model folder's own batching setting, if any, "
          + "set to 1 in a copy), same worker otherwise:%n%n");
      System.out.println(SERVED_HEADER);
      System.out.println(SERVED_RULE);
      for (int c : concurrency) {
        printServed("max batch 1", gen, ch, c, worker, limitRate, limitCpu);
      }
    }
    JsonObject paced = inProcess(modelDir, 1, "1", "1", PACED_PAUSE_MICROS).get(0);
    System.out.printf(Locale.ROOT, "%nIn-process single-image latency (1 thread, 1 predictor, batch 1): back to back p50 %.2f ms, "
            + "p99 %.2f ms; one image every %d us after the last (as requests arriving one at a time meet the caches) p50 %.2f ms, "
            + "p99 %.2f ms.%n",
        single.get("batch_p50_ms").getAsDouble(), single.get("batch_p99_ms").getAsDouble(), PACED_PAUSE_MICROS,
        paced.get("batch_p50_ms").getAsDouble(), paced.get("batch_p99_ms").getAsDouble());
    remeasureLimit(modelDir, limit, served, streamed);
  }

  /**
   * Measures the limit's configuration again at the end of the run and gives the default worker's
   * throughput against both readings: on a host whose speed drifts (docs/PERFORMANCE.md, 2026-12-03),
   * a single reading minutes before the served steps can make their ratio look better or worse
   * than it is, and the spread between the two readings shows by how much.
   */
  private void remeasureLimit(Path modelDir, JsonObject limit, Map<Integer, StepResult> served,
                              Map<Integer, StepResult> streamed) throws Exception {
    double first = limit.get("images_per_s").getAsDouble();
    double again = inProcess(modelDir, limit.get("threads").getAsInt(), Integer.toString(limit.get("instances").getAsInt()),
        Integer.toString(limit.get("batch").getAsInt())).get(0).get("images_per_s").getAsDouble();
    double low = Math.min(first, again);
    double high = Math.max(first, again);
    System.out.printf(Locale.ROOT, "%nThe limit's configuration measured again at the end: %.0f images/s (%.2fx the first reading). "
        + "The default worker against the higher and the lower of the two readings, unary:%s; stream:%s.%n", again, again / first,
        ratios(served, low, high), ratios(streamed, low, high));
  }

  private static String ratios(Map<Integer, StepResult> steps, double low, double high) {
    StringBuilder ratios = new StringBuilder();
    steps.forEach((c, r) -> {
      if (c >= 16) {
        ratios.append(String.format(Locale.ROOT, "%s concurrency %d %.2f-%.2fx", ratios.length() == 0 ? "" : ",",
            c, r.callsPerSecond() / high, r.callsPerSecond() / low));
      }
    });
    return ratios.toString();
  }

  /**
   * A repository holding a copy of {@code modelDir} whose model.json batches at most one image (a
   * model's own {@code batching} wins over the worker's flags, so the flag alone does not turn it off).
   */
  private Path unbatched(Path modelDir) throws IOException {
    // a repository of its own per model: with others beside it, requests naming no model would
    // go to the first by name
    Path repository = root.resolve("benchmarks/target/models-unbatched").resolve(modelDir.getFileName());
    Path copy = repository.resolve(modelDir.getFileName());
    Files.createDirectories(copy);
    try (Stream<Path> files = Files.list(modelDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path config = copy.resolve("model.json");
    JsonObject json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    if (json.has("batching")) {
      json.getAsJsonObject("batching").addProperty("maxBatchSize", 1);
      Files.writeString(config, json.toString());
    }
    return repository;
  }

  private static final String SERVED_HEADER = "| settings | concurrency | images/s | x limit | p50 ms | p90 ms | p99 ms "
      + "| mean batch | worker CPU us/image | in-process CPU us/image at that batch | overhead | overhead vs least in-process CPU "
      + "| worker page faults/image |";
  private static final String SERVED_RULE = "|---|---|---|---|---|---|---|---|---|---|---|---|---|";

  /** In-process rows of the worker's default shape (1 intra-op thread, one predictor per core). */
  private List<JsonObject> defaultShape = List.of();

  private StepResult printServed(String label, LoadGenerator gen, Client ch, int c, LocalProcess worker,
                                 double limitRate, double limitCpu) throws Exception {
    return printServed(label, gen, ch, c, worker, limitRate, limitCpu, false);
  }

  private StepResult printServed(String label, LoadGenerator gen, Client ch, int c, LocalProcess worker,
                                 double limitRate, double limitCpu, boolean stream) throws Exception {
    long cpu = worker.cpuNanos();
    long faults = worker.minorFaults();
    StepResult r = step(gen, ch, c, seconds, stream);
    double perImage = (worker.cpuNanos() - cpu) / 1000.0 / r.ok();
    double faultsPerImage = (worker.minorFaults() - faults) / (double) r.ok();
    double atBatch = inProcessCpuAt(r.meanBatch());
    System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f | %.0f | %+.0f%% | %+.0f%% | %.2f |%n", label,
        c, r.callsPerSecond(), r.callsPerSecond() / limitRate, r.millis(50), r.millis(90), r.millis(99), r.meanBatch(), perImage,
        atBatch, (perImage - atBatch) / atBatch * 100, (perImage - limitCpu) / limitCpu * 100, faultsPerImage);
    return r;
  }

  /** In-process CPU per image of the default shape at the batch size nearest {@code batch} (log scale). */
  private double inProcessCpuAt(double batch) {
    return defaultShape.stream()
        .min(Comparator.comparingDouble(r -> Math.abs(Math.log(r.get("batch").getAsDouble()) - Math.log(Math.max(1, batch)))))
        .map(r -> r.get("cpu_us_per_image").getAsDouble()).orElse(Double.NaN);
  }

  private StepResult step(LoadGenerator gen, Client ch, int c, double secs) throws InterruptedException {
    return step(gen, ch, c, secs, false);
  }

  /**
   * One closed-loop step of unary calls or, with {@code stream}, of items of one
   * {@code RecognizeStream} with {@code c} of them in flight.
   */
  private StepResult step(LoadGenerator gen, Client ch, int c, double secs, boolean stream) throws InterruptedException {
    try (CallSender sender = stream ? new StreamSender(ch.channel()) : new UnarySender(ch.channel(), Duration.ofSeconds(60))) {
      StepResult r = gen.closedLoop(sender, c, Duration.ofMillis((long) (secs * 1000)), 0);
      if (r.ok() != r.calls()) {
        System.out.println("<!-- errors: " + r.errors() + " -->");
      }
      return r;
    }
  }

  /** Enough for the sweep's comparisons, made between workers warmed alike. */
  private void warm(LoadGenerator gen, Client ch) throws InterruptedException {
    step(gen, ch, 16, 5);
  }

  /**
   * Until the worker's JIT has settled (after 5 s a fresh worker was still compiling, and its first
   * step, concurrency 1, read a tail of 4-5 ms instead of about 2), then a few seconds alone at
   * concurrency 1, whose quieter call path is what the first step measures.
   */
  private void warmSteady(LoadGenerator gen, Client ch) throws InterruptedException {
    step(gen, ch, 16, 20);
    step(gen, ch, 1, 5);
  }

  private LocalProcess worker(Path repository, List<String> flags) throws Exception {
    List<String> args = new ArrayList<>(List.of("--models", repository.toString()));
    args.addAll(flags);
    LocalProcess worker = LocalProcess.start("worker", logDir, root.resolve("bin/imagerec-worker"), args);
    try (Client ch = client(worker)) {
      waitServing(ch);
    }
    return worker;
  }

  private static void waitServing(Client ch) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < until) {
      try {
        if (io.grpc.health.v1.HealthGrpc.newBlockingStub(ch.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(io.grpc.health.v1.HealthCheckRequest.newBuilder().setService("imagerec.v1.Recognizer").build())
            .getStatus() == io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING) {
          return;
        }
      } catch (io.grpc.StatusRuntimeException e) {
        // starting
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("not SERVING after 120 s");
  }

  /** A plaintext channel that try-with-resources shuts down. */
  private record Client(ManagedChannel channel) implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
    }
  }

  private static Client client(LocalProcess process) {
    return new Client(ManagedChannelBuilder.forTarget(process.address()).usePlaintext().directExecutor()
        .maxInboundMessageSize(16 << 20).build());
  }

  private List<JsonObject> inProcess(Path modelDir, int threads, String instances, String batches) throws Exception {
    return inProcess(modelDir, threads, instances, batches, 0);
  }

  private List<JsonObject> inProcess(Path modelDir, int threads, String instances, String batches, long pauseMicros)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), InProcessBenchmark.class.getName(), "--model-dir", modelDir.toString(),
        "--threads", Integer.toString(threads), "--instances", instances, "--batches", batches,
        "--seconds", Double.toString(seconds / 2), "--pause-us", Long.toString(pauseMicros)));
    List<JsonObject> results = new ArrayList<>();
    for (String line : exec(command)) { // with this JVM's environment: bin/benchmark-worker's malloc settings, the worker's
      if (line.startsWith("{")) {
        results.add(JsonParser.parseString(line).getAsJsonObject());
      }
    }
    return results;
  }

  /** This JVM's MALLOC_ variables, which its in-process runs inherit (none set: glibc's adaptive defaults). */
  private static String mallocSettings() {
    String set = new TreeMap<>(System.getenv()).entrySet().stream().filter(e -> e.getKey().startsWith("MALLOC_"))
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    return set.isEmpty() ? "none (glibc's adaptive defaults; bin/benchmark-worker sets the worker's)" : set;
  }

  private static List<String> exec(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException(command.get(command.size() > 3 ? 3 : 0) + " failed:\n" + String.join("\n", lines));
    }
    return lines;
  }

  /** The bundled sample PNGs. */
  private static List<RecognizeRequest> samples(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      List<RecognizeRequest> requests = new ArrayList<>();
      for (Path p : files.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
        requests.add(RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(Files.readAllBytes(p))).build());
      }
      return requests;
    }
  }

  /** {@code n} generated 224x224 colour JPEGs (gradients with noise), as a camera would send. */
  private static List<RecognizeRequest> photos(int n) throws IOException {
    Random random = new Random(7);
    List<RecognizeRequest> requests = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BufferedImage image = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 224; y++) {
        for (int x = 0; x < 224; x++) {
          int r = (x + i * 30) % 256;
          int g = (y * 2 + i * 10) % 256;
          int b = Math.min(255, Math.max(0, 128 + (int) (random.nextGaussian() * 40)));
          image.setRGB(x, y, r << 16 | g << 8 | b);
        }
      }
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(image, "jpeg", jpeg);
      requests.add(RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(jpeg.toByteArray())).build());
    }
    return requests;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new WorkerBenchmark()).execute(args));
  }
}
