package imagerec.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The environment variables options are read from, told to the user. An option reads its variable
 * through its default ({@code defaultValue = "${env:IMAGEREC_X:-5}"}), which picocli shows only
 * resolved ("default: 5") and names nowhere: so the usage help gets a line {@code env IMAGEREC_X}
 * under each such option, and an error about an option whose value came from its variable says so.
 */
public final class OptionVariables {
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)");

  private OptionVariables() {}

  /** Makes {@code command}'s usage help name each option's variable; returns it. */
  public static CommandLine nameInHelp(CommandLine command) {
    return command.setHelpFactory((spec, colors) -> new Help(spec, colors) {
      @Override
      public IOptionRenderer createDefaultOptionRenderer() {
        IOptionRenderer plain = super.createDefaultOptionRenderer();
        return (option, labels, scheme) -> withVariable(plain.render(option, labels, scheme), option, scheme);
      }
    });
  }

  /** The environment variable {@code option} reads, or null when it reads none. */
  public static String variableOf(OptionSpec option) {
    String declared = option.defaultValueString(false);
    Matcher m = VARIABLE.matcher(declared == null ? "" : declared);
    return m.find() ? m.group(1) : null;
  }

  /**
   * What to add to {@code message}, an error about options of {@code spec}, so that it says where
   * a value came from: {@code " (set by IMAGEREC_X in the environment)"} for each option it names
   * whose variable is set in {@code environment} and that {@code args} do not give; else "".
   * Values are not repeated: a variable may hold a token.
   */
  public static String sources(CommandSpec spec, String message, String[] args, Map<String, String> environment) {
    List<String> variables = new ArrayList<>();
    for (OptionSpec option : spec.options()) {
      String variable = variableOf(option);
      String value = variable == null ? null : environment.get(variable);
      if (value != null && !value.isBlank() && names(message, option) && !given(args, option)) {
        variables.add(variable);
      }
    }
    return variables.isEmpty() ? "" : " (set by " + String.join(", ", variables) + " in the environment)";
  }

  private static boolean names(String message, OptionSpec option) {
    return Arrays.stream(option.names())
        .anyMatch(name -> Pattern.compile("(?<![\\w-])" + Pattern.quote(name) + "(?![\\w-])").matcher(message).find());
  }

  private static boolean given(String[] args, OptionSpec option) {
    for (String arg : args) {
      for (String name : option.names()) {
        if (arg.equals(name) || arg.startsWith(name + "=")
            || option.negatable() && arg.equals(name.replaceFirst("^--", "--no-"))) {
          return true;
        }
      }
    }
    return false;
  }

  private static Text[][] withVariable(Text[][] rows, OptionSpec option, Help.ColorScheme scheme) {
    String variable = variableOf(option);
    if (variable == null || rows.length == 0) {
      return rows;
    }
    int columns = rows[rows.length - 1].length;
    Text[] line = new Text[columns];
    Arrays.fill(line, scheme.text(""));
    line[columns - 1] = scheme.text("  env " + variable);
    Text[][] more = Arrays.copyOf(rows, rows.length + 1);
    more[rows.length] = line;
    return more;
  }
}
