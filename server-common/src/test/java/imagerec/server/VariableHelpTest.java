package imagerec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The servers' usage help names each option's environment variable under the option. */
class VariableHelpTest {
  @Command(name = "server", sortOptions = false)
  static final class Server {
    @Mixin
    ServerOptions options = new ServerOptions();
  }

  @Test
  void anOptionWithAVariableIsFollowedByItsNameAndOneWithoutIsNot() {
    CommandLine command = VariableHelp.install(new CommandLine(new Server()));
    List<String> lines = command.getUsageMessage(CommandLine.Help.Ansi.OFF).lines().map(String::strip).toList();

    assertEquals("env IMAGEREC_SHUTDOWN_GRACE_MS", lineAfter(lines, "--shutdown-grace-ms", "--max-bytes-in-flight"));
    assertEquals("env IMAGEREC_ACCESS_LOG", lineAfter(lines, "--access-log", null));
    assertFalse(linesOf(lines, "--port-file", "--shutdown-grace-ms").stream().anyMatch(l -> l.startsWith("env ")),
        "--port-file has no variable: " + lines);
  }

  @Test
  void theVariableIsReadFromTheUnresolvedDefault() {
    CommandLine.Model.CommandSpec spec = new CommandLine(new Server()).getCommandSpec();
    assertEquals("IMAGEREC_KEEPALIVE_MS", VariableHelp.variableOf(spec.findOption("--keepalive-ms")));
    assertEquals("IMAGEREC_TLS_CERT", VariableHelp.variableOf(spec.findOption("--tls-cert")));
    assertNull(VariableHelp.variableOf(spec.findOption("--metrics-port-file")));
  }

  /** The last line of {@code option}'s entry: the lines from it to {@code next} (or the end). */
  private static String lineAfter(List<String> lines, String option, String next) {
    List<String> entry = linesOf(lines, option, next);
    return entry.get(entry.size() - 1);
  }

  private static List<String> linesOf(List<String> lines, String option, String next) {
    int from = indexOfOption(lines, option);
    int to = next == null ? endOfOptions(lines, from) : indexOfOption(lines, next);
    return lines.subList(from, to);
  }

  private static int indexOfOption(List<String> lines, String option) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(option + "=") || lines.get(i).startsWith(option + " ")
          || lines.get(i).startsWith(option + "[")) {
        return i;
      }
    }
    throw new AssertionError(option + " not in the help: " + lines);
  }

  private static int endOfOptions(List<String> lines, int from) {
    int i = from + 1;
    while (i < lines.size() && !lines.get(i).isEmpty() && !lines.get(i).startsWith("-")) {
      i++;
    }
    return i;
  }
}
