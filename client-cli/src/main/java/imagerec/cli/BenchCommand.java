package imagerec.cli;

import com.google.gson.Gson;
import com.google.protobuf.ByteString;
import imagerec.cli.bench.CallSender;
import imagerec.cli.bench.InferSender;
import imagerec.cli.bench.LoadGenerator;
import imagerec.cli.bench.StepResult;
import imagerec.cli.bench.StreamSender;
import imagerec.cli.bench.UnarySender;
import imagerec.cli.bench.Workload;
import imagerec.grpc.CacheOutcomes;
import imagerec.v1.RecognizeRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code imagerec bench}: a load generator for the Recognizer service, in the manner of ghz and
 * perf_analyzer, reporting throughput and latency percentiles (HdrHistogram) per step.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Load-test a target: fixed concurrency (or a sweep) or a fixed rate; throughput, latency percentiles, errors.",
    footer = {"", "Closed loop (--concurrency) keeps N calls in flight. Open loop (--rate) starts calls on a fixed",
        "schedule whatever the server does and counts latency from when each call was due, so a stall",
        "is not hidden (no coordinated omission). Images: the IMAGE arguments, or the bundled samples.",
        "", "Examples:", "  imagerec bench --concurrency 1,4,16,64 --duration 10s",
        "  imagerec bench --rate 200 --duration 30s --mode stream samples/bag",
        "  imagerec bench --concurrency 8 --count 5000 --json",
        "  imagerec bench --mode infer --images-per-call 8 --concurrency 16", "", ExitCodes.HELP})
final class BenchCommand implements Callable<Integer> {
  private static final Gson GSON = new Gson();

  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Option(names = {"-c", "--concurrency"}, split = ",", paramLabel = "N[,N...]",
      description = "calls in flight; several values make a sweep (default: 8)")
  List<Integer> concurrency;

  @Option(names = "--rate", split = ",", paramLabel = "PER_SECOND[,...]",
      description = "open loop: calls started per second; several values make a sweep")
  List<Double> rate;

  @Option(names = {"-d", "--duration"}, defaultValue = "10s", converter = DurationConverter.class,
      description = "length of each step (default: ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = {"-n", "--count"}, defaultValue = "0", description = "calls per step instead of a duration")
  long count;

  @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class,
      description = "unmeasured load before the first step (default: ${DEFAULT-VALUE}; 0s for none)")
  Duration warmup;

  @Option(names = "--mode", defaultValue = "unary",
      description = "unary: one Recognize call per image; stream: items of one RecognizeStream; infer: one Open "
          + "Inference Protocol ModelInfer call per --images-per-call images (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--images-per-call", defaultValue = "1",
      description = "images in each ModelInfer request of --mode infer, 1 to 64 (default: ${DEFAULT-VALUE})")
  int imagesPerCall;

  @Mixin
  RequestOptions request;

  @Option(names = "--repeat", paramLabel = "SHARE",
      description = "a response-cache workload: this share of calls (0 to 1) repeats one of the images, the rest "
          + "send unique images (an image with a PNG text chunk of its own: other bytes, the same pixels)")
  Double repeat;

  @Option(names = "--zipf", paramLabel = "S",
      description = "a response-cache workload: images drawn with a Zipf distribution of exponent S over the images "
          + "in the order given (the first the most popular)")
  Double zipf;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the --repeat and --zipf draws (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--json", description = "one JSON object per step, for programs")
  boolean json;

  @Parameters(arity = "0..*", paramLabel = "IMAGE", description = "image files or folders (default: the bundled samples)")
  List<String> images = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (concurrency != null && rate != null) {
      return Cli.usageError(spec, "give --concurrency or --rate, not both");
    }
    if (count < 0 || count == 0 && (duration.isZero() || duration.isNegative()) || warmup.isNegative()) {
      return Cli.usageError(spec, "each step needs a --duration above 0s or a --count above 0; --warmup must not be negative");
    }
    if (!List.of("unary", "stream", "infer").contains(mode)) {
      return Cli.usageError(spec, "--mode must be unary, stream or infer");
    }
    if (imagesPerCall < 1 || imagesPerCall > 64 || imagesPerCall > 1 && !mode.equals("infer")) {
      return Cli.usageError(spec, "--images-per-call must be 1 to 64, and more than 1 only with --mode infer");
    }
    if (repeat != null && zipf != null || repeat != null && !(repeat >= 0 && repeat <= 1) || zipf != null && !(zipf > 0)) {
      return Cli.usageError(spec, "give --repeat (0 to 1) or --zipf (above 0), not both");
    }
    List<RecognizeRequest> requests;
    int distinct;
    try {
      requests = load(images.isEmpty() ? List.of(defaultSamples().toString()) : images);
      distinct = requests.size();
      if (!requests.isEmpty() && repeat != null) {
        requests = Workload.repeating(requests, repeat, seed);
      } else if (!requests.isEmpty() && zipf != null) {
        requests = Workload.zipf(requests, zipf, seed);
      }
    } catch (IllegalArgumentException | IOException e) {
      return Cli.usageError(spec, e.getMessage());
    }
    if (requests.isEmpty()) {
      return Cli.usageError(spec, "no images to send");
    }
    List<Integer> levels = concurrency == null ? List.of(8) : concurrency;
    if (levels.stream().anyMatch(c -> c < 1) || (rate != null && rate.stream().anyMatch(r -> r <= 0))) {
      return Cli.usageError(spec, "--concurrency and --rate values must be positive");
    }
    PrintWriter out = spec.commandLine().getOut();
    Duration deadline = target.callDeadline(Duration.ofSeconds(30));
    if (!json) {
      String images = repeat != null ? String.format(Locale.ROOT, "%.0f%% repeats of %d images, the rest unique",
          repeat * 100, distinct) : zipf != null ? "Zipf " + zipf + " over " + distinct + " images" : distinct + " distinct images";
      out.printf(Locale.ROOT, "target %s, %s calls%s, %s, %s per step%n", target.target, mode,
          imagesPerCall > 1 ? " of " + imagesPerCall + " images" : "", images, count > 0 ? count + " calls" : duration.toMillis() / 1000.0 + " s");
      out.printf(Locale.ROOT, "%-16s %9s %9s %8s %8s %8s %8s %8s %6s %8s  %s%n", "step", "calls/s", "images/s",
          "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "batch", "ok", "errors");
      out.flush();
    }
    boolean anyFailed = false;
    CacheOutcomes outcomes = new CacheOutcomes();
    long sent = 0; // a workload's sequence goes on from step to step: its unique images stay unique
    try (Connection connection = target.connect(true)) {
      Channel channel = ClientInterceptors.intercept(connection.channel(request.noCache), outcomes);
      if (!warmup.isZero()) {
        try (CallSender sender = sender(channel, deadline, requests)) {
          sent += new LoadGenerator(from(requests, sent)).closedLoop(sender, rate == null ? levels.get(0) : 4, warmup, 0)
              .calls();
        }
      }
      int steps = rate == null ? levels.size() : rate.size();
      for (int i = 0; i < steps; i++) {
        StepResult result;
        Map<String, Long> before = outcomes.snapshot();
        try (CallSender sender = sender(channel, deadline, requests)) {
          LoadGenerator generator = new LoadGenerator(from(requests, sent));
          result = rate == null ? generator.closedLoop(sender, levels.get(i), duration, count)
              : generator.openLoop(sender, rate.get(i), duration, count);
        }
        sent += result.calls();
        double hitRatio = CacheOutcomes.hitRatio(before, outcomes.snapshot());
        anyFailed |= !result.errors().isEmpty();
        out.println(json ? toJson(result, hitRatio) : toLine(result, hitRatio));
        out.flush();
      }
    }
    return anyFailed ? ExitCodes.SOME_FAILED : ExitCodes.OK;
  }

  private CallSender sender(Channel channel, Duration deadline, List<RecognizeRequest> requests) {
    return switch (mode) {
      case "stream" -> new StreamSender(channel);
      case "infer" -> new InferSender(channel, deadline, requests, imagesPerCall);
      default -> new UnarySender(channel, deadline);
    };
  }

  /** {@code requests} starting at the {@code sent}-th (modulo their number), as a view. */
  private static List<RecognizeRequest> from(List<RecognizeRequest> requests, long sent) {
    if (sent == 0) {
      return requests;
    }
    return new java.util.AbstractList<>() {
      @Override
      public RecognizeRequest get(int index) {
        return requests.get((int) ((index + sent) % requests.size()));
      }

      @Override
      public int size() {
        return requests.size();
      }
    };
  }

  private List<RecognizeRequest> load(List<String> args) throws IOException {
    List<RecognizeRequest> requests = new ArrayList<>();
    for (String file : ImageInputs.expand(args)) {
      requests.add(RecognizeRequest.newBuilder().setModel(request.model)
          .setImage(ByteString.copyFrom(Files.readAllBytes(Path.of(file)))).build());
    }
    return requests;
  }

  /** The bundled samples: under IMAGEREC_HOME (set by bin/imagerec), else ./samples. */
  private static Path defaultSamples() {
    String home = System.getenv("IMAGEREC_HOME");
    return home != null ? Path.of(home, "samples") : Path.of("samples");
  }

  private static String toLine(StepResult r, double hitRatio) {
    return String.format(Locale.ROOT, "%-16s %9.1f %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f %6.1f %8d  %s%s", r.label(),
        r.callsPerSecond(), r.imagesPerSecond(), r.millis(50), r.millis(90), r.millis(99), r.millis(99.9),
        r.maxMillis(), r.meanBatch(), r.ok(), r.errors().isEmpty() ? "0" : r.errors().toString(),
        hitRatio < 0 ? "" : String.format(Locale.ROOT, "  cache hits %.3f", hitRatio));
  }

  private String toJson(StepResult r, double hitRatio) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", target.target);
    m.put("mode", mode);
    m.put("images_per_call", imagesPerCall);
    m.put("step", r.label());
    m.put("calls", r.calls());
    m.put("ok", r.ok());
    m.put("errors", r.errors());
    m.put("seconds", r.seconds());
    m.put("calls_per_s", r.callsPerSecond());
    m.put("images_per_s", r.imagesPerSecond());
    m.put("mean_batch", r.meanBatch());
    Map<String, Double> latency = new LinkedHashMap<>();
    latency.put("p50", r.millis(50));
    latency.put("p90", r.millis(90));
    latency.put("p99", r.millis(99));
    latency.put("p99_9", r.millis(99.9));
    latency.put("max", r.maxMillis());
    m.put("latency_ms", latency);
    if (hitRatio >= 0) {
      m.put("cache_hit_ratio", hitRatio);
    }
    return GSON.toJson(m);
  }
}
