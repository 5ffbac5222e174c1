package imagerec.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/**
 * A picocli command run in this JVM: its exit code and what it printed.
 *
 * @param code the exit code {@code execute} returned
 * @param out what it printed on standard output
 * @param err what it printed on standard error
 */
public record CommandRun(int code, String out, String err) {

  /** Runs {@code command} with {@code args}, capturing both streams. */
  public static CommandRun of(CommandLine command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    int code = command.execute(args);
    return new CommandRun(code, out.toString(), err.toString());
  }

  public List<String> lines() {
    return out.lines().toList();
  }
}
