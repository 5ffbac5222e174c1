package imagerec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Usage help and errors name the environment variable an option reads. */
class OptionVariablesTest {
  @Command(name = "server", sortOptions = false)
  static final class Server {
    @Mixin
    ServerOptions options = new ServerOptions();
  }

  @Test
  void anOptionWithAVariableIsFollowedByItsNameAndOneWithoutIsNot() {
    CommandLine command = OptionVariables.nameInHelp(new CommandLine(new Server()));
    List<String> lines = command.getUsageMessage(CommandLine.Help.Ansi.OFF).lines().map(String::strip).toList();

    assertEquals("env IMAGEREC_SHUTDOWN_GRACE_MS", lineAfter(lines, "--shutdown-grace-ms", "--max-bytes-in-flight"));
    assertEquals("env IMAGEREC_ACCESS_LOG", lineAfter(lines, "--access-log", null));
    assertFalse(linesOf(lines, "--port-file", "--shutdown-grace-ms").stream().anyMatch(l -> l.startsWith("env ")),
        "--port-file has no variable: " + lines);
  }

  @Test
  void theVariableIsReadFromTheUnresolvedDefault() {
    CommandLine.Model.CommandSpec spec = new CommandLine(new Server()).getCommandSpec();
    assertEquals("IMAGEREC_KEEPALIVE_MS", OptionVariables.variableOf(spec.findOption("--keepalive-ms")));
    assertEquals("IMAGEREC_TLS_CERT", OptionVariables.variableOf(spec.findOption("--tls-cert")));
    assertNull(OptionVariables.variableOf(spec.findOption("--metrics-port-file")));
  }

  @Test
  void anErrorAboutAnOptionSetFromTheEnvironmentNamesTheVariableButNotItsValue() {
    CommandLine.Model.CommandSpec spec = new CommandLine(new Server()).getCommandSpec();
    String message = "Invalid value for option '--shutdown-grace-ms': 'soon' is not a long";
    Map<String, String> environment = Map.of("IMAGEREC_SHUTDOWN_GRACE_MS", "soon", "IMAGEREC_TOKEN", "secret");

    assertEquals(" (set by IMAGEREC_SHUTDOWN_GRACE_MS in the environment)",
        OptionVariables.sources(spec, message, new String[0], environment));
    assertEquals("", OptionVariables.sources(spec, message, new String[] {"--shutdown-grace-ms", "soon"}, environment),
        "given on the command line");
    assertEquals("", OptionVariables.sources(spec, message, new String[] {"--shutdown-grace-ms=soon"}, environment));
    assertEquals("", OptionVariables.sources(spec, message, new String[0], Map.of()), "not set");
    assertEquals(" (set by IMAGEREC_TOKEN, IMAGEREC_REFLECTION in the environment)",
        OptionVariables.sources(spec, "--token and --reflection disagree", new String[0],
            Map.of("IMAGEREC_TOKEN", "secret", "IMAGEREC_REFLECTION", "no")));
    assertEquals("", OptionVariables.sources(spec, "--token and --reflection disagree", new String[] {"--no-reflection"},
        Map.of("IMAGEREC_REFLECTION", "no")), "--no-reflection gives --reflection");
    assertEquals("", OptionVariables.sources(spec, "--tokens are off", new String[0], environment),
        "a longer name is another option");
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
