package imagerec.cli;

import com.google.protobuf.ByteString;
import imagerec.cli.dataset.LabelledDataset;
import imagerec.v1.GetModelRequest;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagerec eval}: accuracy of the served model on a labelled data set, through the system. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure top-1 accuracy on a labelled data set, recognized through the target.",
    footer = {"", "PATH is a folder with MNIST-layout IDX files (e.g. /usr/share/datasets/fashion-mnist)",
        "or an image-folder tree PATH/<label>/<image>, where folder names match the model's labels",
        "ignoring case and punctuation (t-shirt-top = T-shirt/top). The last line is: accuracy: 0.XXXX (N/M)",
        "", "Examples:", "  imagerec eval --dataset /usr/share/datasets/fashion-mnist --confusion",
        "  imagerec eval --dataset samples", "", ExitCodes.HELP})
final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Option(names = "--dataset", required = true, paramLabel = "PATH", description = "the labelled data set")
  Path dataset;

  @Option(names = "--split", defaultValue = "t10k", description = "IDX split: t10k or train (default: ${DEFAULT-VALUE})")
  String split;

  @Mixin
  RequestOptions request;

  @Option(names = "--limit", defaultValue = "0", description = "use only the first N images (0 = all)")
  int limit;

  @Option(names = "--confusion", description = "also print the confusion matrix")
  boolean confusion;

  @Option(names = "--mode", defaultValue = "stream",
      description = "stream (RecognizeStream), unary (Recognize) or infer (the Open Inference Protocol's ModelInfer, "
          + "8 images a request) (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = {"-c", "--concurrency"}, defaultValue = "128", description = "images in flight at once (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Override
  public Integer call() throws Exception {
    BulkRecognizer.Mode bulkMode;
    try {
      bulkMode = BulkRecognizer.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Cli.usageError(spec, "--mode must be stream, unary or infer, not '" + mode + "'");
    }
    LabelledDataset data;
    try {
      data = LabelledDataset.open(dataset, split);
    } catch (IOException e) {
      return Cli.usageError(spec, e.getMessage());
    }
    int total = limit > 0 ? Math.min(limit, data.size()) : data.size();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (Connection connection = target.connect()) {
      ModelInfo info;
      try {
        info = RecognizerGrpc.newBlockingStub(connection.channel())
            .withDeadlineAfter(target.callDeadline(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS)
            .getModel(GetModelRequest.newBuilder().setName(request.model).build());
      } catch (StatusRuntimeException e) {
        return Cli.callError(spec, e.getStatus(), target.target);
      }
      if ("embedding".equals(info.getKind())) {
        err.println("imagerec eval: model " + info.getName() + " is an embedding model: eval measures a classifier's"
            + " accuracy against labelled images");
        err.flush();
        return ExitCodes.USAGE;
      }
      List<String> labels = info.getLabelsList();
      Map<String, Integer> byName = new HashMap<>();
      for (int i = 0; i < labels.size(); i++) {
        byName.put(LabelledDataset.normalize(labels.get(i)), i);
      }
      out.printf("dataset: %s, %d images; model %s version %s at %s%n", data.describe(), total, info.getName(),
          info.getVersion(), target.target);
      out.flush();
      EvalReport report = new EvalReport(labels);
      long start = System.nanoTime();
      Status status = BulkRecognizer.of(bulkMode, connection.channel(request.noCache), concurrency).run(total, i -> {
        try {
          return RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(data.image(i)))
              .setModel(request.model).setTopK(1).build();
        } catch (IOException e) {
          report.failed(trueIndex(data, i, byName), "UNREADABLE");
          return null;
        }
      }, target.deadline, new BulkRecognizer.Results() {
        @Override
        public void onResult(int index, RecognizeResponse response) {
          if (response.hasError()) {
            report.failed(trueIndex(data, index, byName), Status.fromCodeValue(response.getError().getCode()).getCode().name());
          } else {
            report.recognized(trueIndex(data, index, byName), response.getClassifications(0).getIndex());
          }
        }

        @Override
        public void onLost(int index, Status s) {
          report.failed(trueIndex(data, index, byName), s.getCode().name());
        }
      });
      double seconds = (System.nanoTime() - start) / 1e9;
      if (!status.isOk()) {
        err.println("imagerec eval: " + Cli.describe(status, target.target));
        err.flush();
      }
      report.print(out, confusion);
      out.printf(Locale.ROOT, "recognized %d images in %.2f s: %.0f images/s, %d errors%s%n", total, seconds,
          total / seconds, report.errors(), report.errorCodes().isEmpty() ? "" : " " + report.errorCodes());
      out.printf(Locale.ROOT, "accuracy: %.4f (%d/%d)%n", total == 0 ? 0.0 : (double) report.correct() / total,
          report.correct(), total);
      out.flush();
      if (!status.isOk()) {
        return ExitCodes.forStatus(status);
      }
      return report.errors() == 0 ? ExitCodes.OK : ExitCodes.SOME_FAILED;
    }
  }

  /** The class index of image {@code i}: from the data set, or its folder name among the labels (-1 if none). */
  private static int trueIndex(LabelledDataset data, int i, Map<String, Integer> byName) {
    int index = data.labelIndex(i);
    return index >= 0 ? index : byName.getOrDefault(LabelledDataset.normalize(data.labelName(i)), -1);
  }
}
