package imagerec.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses durations written as {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h} (or ISO-8601). */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    Matcher m = SIMPLE.matcher(value.strip().toLowerCase());
    if (m.matches()) {
      double amount = Double.parseDouble(m.group(1));
      double millis = switch (m.group(2)) {
        case "ms" -> amount;
        case "s" -> amount * 1_000;
        case "m" -> amount * 60_000;
        default -> amount * 3_600_000;
      };
      return Duration.ofMillis(Math.round(millis));
    }
    try {
      return Duration.parse(value);
    } catch (RuntimeException e) {
      throw new TypeConversionException("'" + value + "' is not a duration (examples: 500ms, 30s, 2m)");
    }
  }
}
