package imagerec.server;

import imagerec.observability.Logging;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a server's picocli command from {@code main}: a bad option prints one line saying which and
 * why (and its variable, when the value came from the environment), and exits 2; a port that cannot
 * be bound prints one line naming it and its option and exits 2; any other failure to start prints
 * one line and exits 1 (its stack trace goes to the log only when it is a bug, an unchecked
 * exception, not a problem of the set-up such as a missing file).
 */
public final class ServerLauncher {
  private static final Logger log = LoggerFactory.getLogger(ServerLauncher.class);

  /** Exit code of a port that cannot be bound: a configuration error, as a bad option is. */
  public static final int EXIT_BAD_CONFIGURATION = 2;
  /** Exit code of any other failure to start. */
  public static final int EXIT_FAILED_TO_START = 1;

  private ServerLauncher() {}

  /** Parses {@code args} into {@code command}, runs it, and exits the JVM with its code unless 0. */
  public static void main(Object command, String[] args) {
    Logging.bridgeJavaUtilLogging();
    int code = execute(command, args);
    if (code != 0) {
      System.exit(code);
    }
  }

  private static int execute(Object command, String[] args) {
    CommandLine commandLine = OptionVariables.nameInHelp(new CommandLine(command));
    commandLine.setParameterExceptionHandler((e, arguments) -> {
      CommandLine cmd = e.getCommandLine();
      String source = OptionVariables.sources(cmd.getCommandSpec(), e.getMessage(), arguments, System.getenv());
      cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage() + source + " (see --help)");
      cmd.getErr().flush();
      return EXIT_BAD_CONFIGURATION;
    });
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      String name = cmd.getCommandName();
      if (e instanceof PortBindException) {
        err.println(name + ": " + e.getMessage());
        err.flush();
        return EXIT_BAD_CONFIGURATION;
      }
      if (!(e instanceof RuntimeException)) { // a checked exception: a file, a model, a certificate
        err.println(name + ": cannot start: " + e.getMessage());
      } else {
        log.error("cannot start", e);
        err.println(name + ": cannot start: " + e);
      }
      err.flush();
      return EXIT_FAILED_TO_START;
    });
    return commandLine.execute(args);
  }
}
