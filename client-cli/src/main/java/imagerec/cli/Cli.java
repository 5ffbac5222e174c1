package imagerec.cli;

import io.grpc.Status;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/** Error reporting shared by the commands: one clear line, no stack trace. */
final class Cli {
  private Cli() {}

  /** Prints a usage error for {@code spec}'s command and returns the usage exit code. */
  static int usageError(CommandSpec spec, String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("imagerec " + spec.name() + ": " + message);
    err.flush();
    return ExitCodes.USAGE;
  }

  /** A one-line explanation of a call failure, with what to do where that is clear. */
  static String describe(Status status, String target) {
    String description = status.getDescription() == null ? "" : status.getDescription();
    Throwable cause = status.getCause();
    if (status.getCode() == Status.Code.UNAVAILABLE
        && (cause != null && String.valueOf(cause.getMessage()).contains("Connection refused")
            || description.contains("Connection refused") || description.startsWith("io exception"))) {
      return "cannot reach " + target + ": nothing is listening there (is the balancer running? "
          + "use --target or IMAGEREC_TARGET)";
    }
    if (status.getCode() == Status.Code.UNAVAILABLE && cause != null
        && cause.getClass().getSimpleName().contains("UnknownHost")) {
      return "cannot resolve the host of " + target + " (check --target)";
    }
    return status.getCode() + (description.isEmpty() ? "" : ": " + description);
  }
}
