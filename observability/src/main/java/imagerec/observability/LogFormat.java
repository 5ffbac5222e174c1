package imagerec.observability;

import java.util.Locale;

/**
 * The process's log format, chosen with {@code IMAGEREC_LOG_FORMAT} ({@code text}, the default, or
 * {@code json}: one JSON object per line, with the logging context and key-value pairs as fields).
 * logback.xml reads the variable; this class only checks it, so a typo stops the process at start
 * instead of silencing its log.
 */
public final class LogFormat {
  public static final String VARIABLE = "IMAGEREC_LOG_FORMAT";

  private LogFormat() {}

  /** Null when the setting is valid, else the message to stop with. */
  public static String check(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    String v = value.strip().toLowerCase(Locale.ROOT);
    return v.equals(value) && (v.equals("text") || v.equals("json"))
        ? null : VARIABLE + " must be 'text' or 'json', not '" + value + "'";
  }
}
