package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import imagerec.balancer.BalancerMain;
import imagerec.server.OptionVariables;
import imagerec.worker.WorkerMain;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/CONFIGURATION.md is the reference of the servers' options: each visible option has a row
 * {@code | `--name` | `VARIABLE` | default | what |} there, with the variable it reads and, where
 * its default is a literal, the default's cell starting with it. Read from the programs' own option
 * specifications, so that a new option, a renamed variable or a changed default fails here until
 * the page says so. Each value is also shown in {@code --help} with a label for people ({@code MS},
 * {@code PATH}), not picocli's field name.
 */
class ConfigurationReferenceTest {
  private static final Pattern LITERAL_DEFAULT = Pattern.compile("\\$\\{env:[A-Za-z0-9_]+:-(.*)}");

  @Test
  void everyBalancerOptionHasItsRowVariableDefaultAndLabel() throws IOException {
    assertEquals(List.of(), problems(new BalancerMain()));
  }

  @Test
  void everyWorkerOptionHasItsRowVariableDefaultAndLabel() throws IOException {
    assertEquals(List.of(), problems(new WorkerMain()));
  }

  private static List<String> problems(Object command) throws IOException {
    Map<String, List<String>> rows = optionRows();
    List<String> problems = new ArrayList<>();
    for (OptionSpec option : new CommandLine(command).getCommandSpec().options()) {
      if (option.hidden() || option.usageHelp() || option.versionHelp()) {
        continue;
      }
      String name = option.longestName();
      if (option.arity().max() > 0 && option.paramLabel().startsWith("<")) {
        problems.add(name + ": its value is shown as " + option.paramLabel() + " in --help; give it a paramLabel");
      }
      List<String> cells = rows.get(name);
      if (cells == null) {
        problems.add(name + ": no row");
        continue;
      }
      String variable = OptionVariables.variableOf(option);
      if (variable != null && !cells.get(1).equals("`" + variable + "`")) {
        problems.add(name + ": variable " + variable + ", the page says " + cells.get(1));
      }
      String literal = literalDefault(option);
      if (literal != null && !cells.get(2).startsWith(literal)) {
        problems.add(name + ": default " + literal + ", the page says " + cells.get(2));
      }
    }
    return problems;
  }

  /** The default when the option has one written in its declaration: {@code 5000} of {@code ${env:X:-5000}}. */
  private static String literalDefault(OptionSpec option) {
    String raw = option.defaultValueString(false);
    Matcher m = LITERAL_DEFAULT.matcher(raw);
    if (m.matches()) {
      return m.group(1);
    }
    if (raw.startsWith("${")) {
      return null; // a variable and no default
    }
    if (option.defaultValue() != null) {
      return raw;
    }
    Object initial = option.initialValue(); // no default declared: the field's own, as --check's false
    return initial == null ? null : String.valueOf(initial);
  }

  /** The page's option rows by option name: the cells of each row whose first cell is one option. */
  private static Map<String, List<String>> optionRows() throws IOException {
    Map<String, List<String>> rows = new HashMap<>();
    for (String line : Files.readAllLines(ProcessCluster.ROOT.resolve("docs/CONFIGURATION.md"))) {
      if (!line.startsWith("| `--")) {
        continue;
      }
      List<String> cells = Arrays.stream(line.substring(1).split("(?<!\\\\)\\|")).map(String::strip).toList();
      String first = cells.get(0);
      if (cells.size() >= 4 && first.indexOf('`', 1) == first.length() - 1) {
        rows.put(first.substring(1, first.length() - 1), cells);
      }
    }
    return rows;
  }
}
