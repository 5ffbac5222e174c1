package imagerec.cli;

import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizerGrpc;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code imagerec models}: the models served, with version, input shape and labels. */
@Command(name = "models", mixinStandardHelpOptions = true,
    description = "List the models the workers serve: version, input shape, default top-k, labels.",
    footer = {"", "Examples:", "  imagerec models", "  imagerec models --target balancer.internal:50051", "", ExitCodes.HELP})
final class ModelsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Override
  public Integer call() throws Exception {
    try (Connection connection = target.connect()) {
      ListModelsResponse response = RecognizerGrpc.newBlockingStub(connection.channel())
          .withDeadlineAfter(target.callDeadline(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS)
          .listModels(ListModelsRequest.getDefaultInstance());
      PrintWriter out = spec.commandLine().getOut();
      for (ModelInfo m : response.getModelsList()) {
        boolean embedding = "embedding".equals(m.getKind());
        out.printf("%s%s  version %s  %s  input %dx%dx%d  %s  %s%n", m.getName(),
            m.getName().equals(response.getDefaultModel()) ? " (default)" : "", m.getVersion(),
            m.getKind().isEmpty() ? "classification" : m.getKind(),
            m.getInput().getChannels(), m.getInput().getHeight(), m.getInput().getWidth(),
            embedding ? "dimensions " + m.getEmbeddingSize() : "top-k " + m.getDefaultTopK(), m.getDescription());
        if (!embedding) {
          out.println("  labels: " + String.join(", ", m.getLabelsList()));
        }
      }
      out.flush();
      return ExitCodes.OK;
    } catch (StatusRuntimeException e) {
      return Cli.callError(spec, e.getStatus(), target.target);
    }
  }
}
