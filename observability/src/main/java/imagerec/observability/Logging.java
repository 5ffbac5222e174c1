package imagerec.observability;

import java.util.Locale;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Logging of a server process, done by logback (see logback.xml in this module): the format is
 * chosen with {@code IMAGEREC_LOG_FORMAT} ({@code text}, the default, or {@code json}: one JSON
 * object per line, with the logging context and key-value pairs as fields) and the level with
 * {@code IMAGEREC_LOG_LEVEL}. This class checks the format at start, so a typo stops the process
 * instead of silencing its log, and routes java.util.logging (used by some libraries, such as
 * OpenTelemetry's logging exporter) into the same log.
 */
public final class Logging {
  public static final String FORMAT_VARIABLE = "IMAGEREC_LOG_FORMAT";

  private Logging() {}

  /** Sends java.util.logging records to SLF4J, so every line has the process's format. */
  public static void bridgeJavaUtilLogging() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /** Null when the format setting is valid, else the message to stop with. */
  public static String checkFormat(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    String v = value.strip().toLowerCase(Locale.ROOT);
    return v.equals(value) && (v.equals("text") || v.equals("json"))
        ? null : FORMAT_VARIABLE + " must be 'text' or 'json', not '" + value + "'";
  }
}
