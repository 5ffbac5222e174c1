package imagerec.cli;

import com.google.protobuf.ByteString;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code imagerec recognize}: recognizes image files through the balancer. Results are printed in
 * input order as soon as every earlier input is done, so long runs show output as they go.
 */
@Command(name = "recognize", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Recognize images: files, folders (recursively), globs, or - for standard input.",
    footer = {"", "Examples:", "  imagerec recognize samples/bag/0.png",
        "  imagerec recognize --json --top-k 3 samples/", "  imagerec recognize --csv 'photos/*.jpg' > results.csv",
        "  imagerec recognize --mode unary --concurrency 8 samples/", "  cat shirt.png | imagerec recognize -",
        "", ExitCodes.HELP})
final class RecognizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Mixin
  RequestOptions request;

  @Option(names = {"-k", "--top-k"}, defaultValue = "0", description = "labels per image (default: the model's)")
  int topK;

  @ArgGroup(exclusive = true)
  FormatOptions format = new FormatOptions();

  static final class FormatOptions {
    @Option(names = "--json", description = "JSON Lines: file, model, model_version, top [{label, score, index}], embedding (embedding models), worker, latency_ms; on failure file, error (the gRPC code name), message")
    boolean json;

    @Option(names = "--csv", description = "CSV with a header: file,label,score,index,labels,worker,latency_ms,error,message")
    boolean csv;
  }

  @Option(names = "--mode", defaultValue = "stream",
      description = "stream: one RecognizeStream for all inputs; unary: concurrent Recognize calls (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = {"-c", "--concurrency"}, defaultValue = "32", description = "images in flight at once (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--progress", negatable = true, description = "show a progress bar on standard error (default: when it is a terminal and there are many inputs)")
  Boolean progress;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files, folders, globs, or -")
  List<String> images;

  @Override
  public Integer call() throws Exception {
    if (!mode.equalsIgnoreCase("stream") && !mode.equalsIgnoreCase("unary")) { // infer is eval's only
      return Cli.usageError(spec, "--mode must be stream or unary, not '" + mode + "'");
    }
    BulkRecognizer.Mode bulkMode = BulkRecognizer.Mode.valueOf(mode.toUpperCase());
    if (concurrency < 1) {
      return Cli.usageError(spec, "--concurrency must be at least 1");
    }
    List<String> inputs;
    try {
      inputs = ImageInputs.expand(images);
    } catch (IllegalArgumentException e) {
      return Cli.usageError(spec, e.getMessage());
    }
    if (inputs.isEmpty()) {
      return Cli.usageError(spec, "no images found in " + images);
    }
    if (inputs.stream().filter(ImageInputs.STDIN::equals).count() > 1) {
      return Cli.usageError(spec, "- (standard input) can be given once");
    }
    PrintWriter err = spec.commandLine().getErr();
    ResultWriter.Format fmt = format.json ? ResultWriter.Format.JSON
        : format.csv ? ResultWriter.Format.CSV : ResultWriter.Format.TABLE;
    ResultWriter writer = new ResultWriter(spec.commandLine().getOut(), fmt,
        inputs.stream().mapToInt(String::length).max().orElse(4));
    boolean showProgress = progress != null ? progress : inputs.size() > 20 && System.console() != null;
    OrderedOutput output = new OrderedOutput(inputs, writer, showProgress ? new ProgressBar(err, inputs.size()) : null);
    Status streamStatus;
    try (Connection connection = target.connect()) {
      writer.header();
      streamStatus = BulkRecognizer.of(bulkMode, connection.channel(request.noCache), concurrency).run(inputs.size(), i -> {
        try {
          return RecognizeRequest.newBuilder()
              .setImage(ByteString.copyFrom(ImageInputs.read(inputs.get(i), System.in)))
              .setModel(request.model).setTopK(topK).build();
        } catch (IOException e) {
          output.put(i, Outcome.failed("UNREADABLE", "cannot read " + inputs.get(i) + ": " + e.getMessage()));
          return null;
        }
      }, target.deadline, new BulkRecognizer.Results() {
        @Override
        public void onResult(int index, RecognizeResponse response) {
          output.put(index, Outcome.of(response));
        }

        @Override
        public void onLost(int index, Status status) {
          output.put(index, Outcome.failed(status.getCode().name(), Cli.explain(status, target.target)));
        }
      });
    }
    output.finish();
    int failed = output.failed();
    if (!streamStatus.isOk()) {
      err.println("imagerec recognize: " + Cli.describe(streamStatus, target.target));
      err.flush();
      return ExitCodes.forStatus(streamStatus);
    }
    if (inputs.size() > 1 || failed > 0) {
      err.printf("%d recognized, %d failed%n", inputs.size() - failed, failed);
      err.flush();
    }
    return failed == 0 ? ExitCodes.OK : ExitCodes.SOME_FAILED;
  }

  /** Prints outcomes in input order as they become printable, with the progress bar beneath. */
  private static final class OrderedOutput {
    private final List<String> inputs;
    private final Outcome[] outcomes;
    private final ResultWriter writer;
    private final ProgressBar bar;
    private int next;
    private int done;
    private int failed;

    OrderedOutput(List<String> inputs, ResultWriter writer, ProgressBar bar) {
      this.inputs = inputs;
      this.outcomes = new Outcome[inputs.size()];
      this.writer = writer;
      this.bar = bar;
    }

    synchronized void put(int index, Outcome outcome) {
      if (outcomes[index] != null) {
        return;
      }
      outcomes[index] = outcome;
      done++;
      if (!outcome.ok()) {
        failed++;
      }
      if (next < outcomes.length && outcomes[next] != null) {
        if (bar != null) {
          bar.clear();
        }
        while (next < outcomes.length && outcomes[next] != null) {
          writer.write(inputs.get(next), outcomes[next]);
          next++;
        }
        writer.flush();
      }
      if (bar != null) {
        bar.update(done, failed, false);
      }
    }

    synchronized void finish() {
      for (int i = 0; i < outcomes.length; i++) {
        if (outcomes[i] == null) {
          put(i, Outcome.failed("UNKNOWN", "no result"));
        }
      }
      if (bar != null) {
        bar.finish(done, failed);
      }
      writer.flush();
    }

    synchronized int failed() {
      return failed;
    }
  }
}
