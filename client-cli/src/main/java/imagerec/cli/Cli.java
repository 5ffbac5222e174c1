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

  /** Prints a call failure for {@code spec}'s command and returns the matching exit code. */
  static int callError(CommandSpec spec, Status status, String target) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("imagerec " + spec.name() + ": " + describe(status, target));
    err.flush();
    return ExitCodes.forStatus(status);
  }

  /** A one-line explanation of a call failure, starting with its code. */
  static String describe(Status status, String target) {
    String explanation = explain(status, target);
    return explanation.startsWith("cannot ") ? explanation : status.getCode() + ": " + explanation;
  }

  /** What went wrong, without the code: the server's description, or what to do where that is clear. */
  static String explain(Status status, String target) {
    String description = status.getDescription() == null ? "" : status.getDescription();
    Throwable cause = status.getCause();
    if (status.getCode() == Status.Code.UNAVAILABLE
        && (cause != null && String.valueOf(cause.getMessage()).contains("Connection refused")
            || description.contains("Connection refused"))) {
      return "cannot reach " + target + ": nothing is listening there (is the balancer running? "
          + "use --target or IMAGEREC_TARGET)";
    }
    if (status.getCode() == Status.Code.UNAVAILABLE
        && (description.startsWith("io exception") || description.startsWith("Network closed"))) {
      return "cannot talk to " + target + ": it closed the connection (if it serves TLS, add --tls or "
          + "--ca-cert; if it requires a client certificate, --cert and --key)";
    }
    if (status.getCode() == Status.Code.UNAVAILABLE && cause != null
        && cause.getClass().getSimpleName().contains("UnknownHost")) {
      return "cannot resolve the host of " + target + " (check --target)";
    }
    return description.isEmpty() ? status.getCode().name() : description;
  }
}
