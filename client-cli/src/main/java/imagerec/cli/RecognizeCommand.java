package imagerec.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.protobuf.ByteString;
import imagerec.v1.Classification;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code imagerec recognize}: recognizes image files through the balancer. */
@Command(name = "recognize", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Recognize images: files, folders (recursively), globs, or - for standard input.",
    footer = {"", "Examples:", "  imagerec recognize samples/bag/0.png",
        "  imagerec recognize --json --top-k 3 samples/", "  cat shirt.png | imagerec recognize -",
        "", ExitCodes.HELP})
final class RecognizeCommand implements Callable<Integer> {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Option(names = {"-m", "--model"}, defaultValue = "", description = "model name (default: the workers' default)")
  String model;

  @Option(names = {"-k", "--top-k"}, defaultValue = "0", description = "labels per image (default: the model's)")
  int topK;

  @Option(names = "--json", description = "one JSON object per input and line: file, model, top [{label, score, index}], worker; or error and message")
  boolean json;

  @Option(names = "--window", defaultValue = "64", description = "images in flight at once (default: ${DEFAULT-VALUE})")
  int window;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files, folders, globs, or -")
  List<String> images;

  @Override
  public Integer call() throws Exception {
    List<String> inputs;
    try {
      inputs = ImageInputs.expand(images);
    } catch (IllegalArgumentException e) {
      return Cli.usageError(spec, e.getMessage());
    }
    if (inputs.isEmpty()) {
      return Cli.usageError(spec, "no images found in " + images);
    }
    PrintWriter out = spec.commandLine().getOut();
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      outcomes.add(null);
    }
    ManagedChannel channel = target.channel();
    Status streamStatus;
    try {
      streamStatus = new StreamingRecognizer(channel, window).run(inputs.size(), i -> {
        try {
          return RecognizeRequest.newBuilder()
              .setImage(ByteString.copyFrom(ImageInputs.read(inputs.get(i), System.in)))
              .setModel(model).setTopK(topK).build();
        } catch (IOException e) {
          outcomes.set(i, Outcome.failed("UNREADABLE", "cannot read " + inputs.get(i) + ": " + e.getMessage()));
          return null;
        }
      }, target.deadline, new StreamingRecognizer.Results() {
        @Override
        public void onResult(int index, RecognizeResponse response) {
          outcomes.set(index, Outcome.of(response));
        }

        @Override
        public void onLost(int index, Status status) {
          outcomes.set(index, Outcome.failed(status.getCode().name(), Cli.describe(status, target.target)));
        }
      });
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    int failed = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Outcome o = outcomes.get(i);
      if (o.error != null) {
        failed++;
      }
      out.println(json ? toJson(inputs.get(i), o) : toLine(inputs.get(i), o));
    }
    out.flush();
    PrintWriter err = spec.commandLine().getErr();
    if (!streamStatus.isOk()) {
      err.println("imagerec: " + Cli.describe(streamStatus, target.target));
      err.flush();
      return ExitCodes.forStatus(streamStatus);
    }
    if (inputs.size() > 1 || failed > 0) {
      err.printf("%d recognized, %d failed%n", inputs.size() - failed, failed);
      err.flush();
    }
    return failed == 0 ? ExitCodes.OK : ExitCodes.SOME_FAILED;
  }

  private static String toLine(String file, Outcome o) {
    if (o.error != null) {
      return file + "  error " + o.error + ": " + o.message;
    }
    StringBuilder sb = new StringBuilder(file);
    List<Classification> top = o.response.getClassificationsList();
    for (int i = 0; i < top.size(); i++) {
      Classification c = top.get(i);
      sb.append(i == 0 ? "  " : ", ").append(c.getLabel())
          .append(String.format(Locale.ROOT, " %.1f%%", c.getScore() * 100));
    }
    sb.append("  [").append(o.response.getWorker()).append(']');
    return sb.toString();
  }

  private static String toJson(String file, Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file);
    if (o.error != null) {
      m.put("error", o.error);
      m.put("message", o.message);
      return GSON.toJson(m);
    }
    RecognizeResponse r = o.response;
    m.put("model", r.getModel());
    m.put("model_version", r.getModelVersion());
    List<Map<String, Object>> top = new ArrayList<>();
    for (Classification c : r.getClassificationsList()) {
      Map<String, Object> label = new LinkedHashMap<>();
      label.put("label", c.getLabel());
      label.put("score", Math.round(c.getScore() * 1e6) / 1e6);
      label.put("index", c.getIndex());
      top.add(label);
    }
    m.put("top", top);
    m.put("worker", r.getWorker());
    m.put("latency_ms", r.getTimings().getTotalMicros() / 1000.0);
    return GSON.toJson(m);
  }

  /** The result of one input: a response, or an error code name and message. */
  private record Outcome(RecognizeResponse response, String error, String message) {
    static Outcome of(RecognizeResponse response) {
      if (response.hasError()) {
        Status status = Status.fromCodeValue(response.getError().getCode());
        return failed(status.getCode().name(), response.getError().getMessage());
      }
      return new Outcome(response, null, null);
    }

    static Outcome failed(String code, String message) {
      return new Outcome(null, code, message);
    }
  }
}
