package imagerec.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code imagerec}: the command-line tool. Each subcommand is a {@code Callable<Integer>}. */
@Command(name = "imagerec", mixinStandardHelpOptions = true, version = "imagerec 0.1.0",
    description = "Recognize images with an imagerec balancer (or worker) over gRPC.",
    subcommands = {RecognizeCommand.class, EvalCommand.class, BenchCommand.class, WorkersCommand.class, CacheCommand.class,
        ModelsCommand.class, HealthCommand.class, AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class},
    footer = {"", "The target defaults to localhost:50051 (set --target or IMAGEREC_TARGET).", ExitCodes.HELP})
public final class ImagerecCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
  }

  /** The configured command line (tests call this and {@code execute} with their own writers). */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new ImagerecCommand());
    cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("imagerec: " + e);
      boolean verbose = parseResult.subcommand() != null && parseResult.subcommand().hasMatchedOption("--verbose");
      if (verbose) {
        e.printStackTrace(commandLine.getErr());
      }
      commandLine.getErr().flush();
      return ExitCodes.SERVER_ERROR;
    });
    return cmd;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
