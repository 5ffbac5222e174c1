package imagerec.cli;

import com.google.protobuf.ByteString;
import imagerec.cli.dataset.LabelledDataset;
import imagerec.v1.Classification;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagerec eval}: accuracy of the served model on a labelled data set, through the system. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure top-1 accuracy on a labelled data set, recognized through the target.",
    footer = {"", "PATH is a folder with MNIST-layout IDX files (e.g. /usr/share/datasets/fashion-mnist)",
        "or an image-folder tree PATH/<label>/<image>. The last line is: accuracy: 0.XXXX (N/M)",
        "", "Examples:", "  imagerec eval --dataset /usr/share/datasets/fashion-mnist",
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

  @Option(names = {"-m", "--model"}, defaultValue = "", description = "model name (default: the workers' default)")
  String model;

  @Option(names = "--limit", defaultValue = "0", description = "use only the first N images (0 = all)")
  int limit;

  @Option(names = "--window", defaultValue = "128", description = "images in flight at once (default: ${DEFAULT-VALUE})")
  int window;

  @Override
  public Integer call() throws Exception {
    LabelledDataset data;
    try {
      data = LabelledDataset.open(dataset, split);
    } catch (IOException e) {
      return Cli.usageError(spec, e.getMessage());
    }
    int total = limit > 0 ? Math.min(limit, data.size()) : data.size();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("dataset: %s, %d images, target %s%n", data.describe(), total, target.target);
    out.flush();
    AtomicInteger correct = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    Map<String, Integer> errorCodes = new TreeMap<>();
    long start = System.nanoTime();
    ManagedChannel channel = target.channel();
    Status status;
    try {
      status = new StreamingRecognizer(channel, window).run(total, i -> {
        try {
          return RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(data.image(i)))
              .setModel(model).setTopK(1).build();
        } catch (IOException e) {
          synchronized (errorCodes) {
            errors.incrementAndGet();
            errorCodes.merge("UNREADABLE", 1, Integer::sum);
          }
          return null;
        }
      }, target.deadline, new StreamingRecognizer.Results() {
        @Override
        public void onResult(int index, RecognizeResponse response) {
          if (response.hasError()) {
            failed(Status.fromCodeValue(response.getError().getCode()).getCode().name());
          } else if (isCorrect(data, index, response.getClassifications(0))) {
            correct.incrementAndGet();
          }
        }

        @Override
        public void onLost(int index, Status s) {
          failed(s.getCode().name());
        }

        private void failed(String code) {
          synchronized (errorCodes) {
            errors.incrementAndGet();
            errorCodes.merge(code, 1, Integer::sum);
          }
        }
      });
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (!status.isOk()) {
      spec.commandLine().getErr().println("imagerec eval: " + Cli.describe(status, target.target));
      spec.commandLine().getErr().flush();
    }
    out.printf(Locale.ROOT, "recognized %d images in %.2f s: %.0f images/s, %d errors%s%n", total, seconds,
        total / seconds, errors.get(), errorCodes.isEmpty() ? "" : " " + errorCodes);
    out.printf(Locale.ROOT, "accuracy: %.4f (%d/%d)%n", total == 0 ? 0.0 : (double) correct.get() / total,
        correct.get(), total);
    out.flush();
    if (!status.isOk()) {
      return ExitCodes.forStatus(status);
    }
    return errors.get() == 0 ? ExitCodes.OK : ExitCodes.SOME_FAILED;
  }

  private static boolean isCorrect(LabelledDataset data, int index, Classification top) {
    int expected = data.labelIndex(index);
    if (expected >= 0) {
      return top.getIndex() == expected;
    }
    return LabelledDataset.normalize(top.getLabel()).equals(LabelledDataset.normalize(data.labelName(index)));
  }
}
