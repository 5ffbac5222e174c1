package imagerec.server;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Usage help that names each option's environment variable. An option reads its variable through
 * its default ({@code defaultValue = "${env:IMAGEREC_X:-5}"}), which picocli shows only resolved
 * ("default: 5"); this adds a line {@code env IMAGEREC_X} under the option's description, so that
 * {@code --help} tells the variable without a second copy of its name in every description.
 */
public final class VariableHelp {
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)");

  private VariableHelp() {}

  /** Makes {@code command}'s usage help name the variables; returns it. */
  public static CommandLine install(CommandLine command) {
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
    String raw = option.defaultValueString(false);
    if (raw == null) {
      return null;
    }
    Matcher m = VARIABLE.matcher(raw);
    return m.find() ? m.group(1) : null;
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
