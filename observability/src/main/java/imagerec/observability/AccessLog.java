package imagerec.observability;

import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One log line per request on the logger {@code imagerec.access}, with the request's facts as
 * key-value pairs: the text format shows them as {@code key="value"}, the JSON format as fields.
 * Each server owns one, on or off as its configuration says (off by default: it is hot at thousands
 * of requests a second); the logging configuration can still silence the logger. Thread-safe.
 */
public final class AccessLog {
  static final String LOGGER = "imagerec.access";

  /** Writes nothing. */
  public static final AccessLog OFF = new AccessLog(false);

  private final Logger log = LoggerFactory.getLogger(LOGGER);
  private final boolean on;

  public AccessLog(boolean on) {
    this.on = on;
  }

  public boolean enabled() {
    return on && log.isInfoEnabled();
  }

  /**
   * Starts a line for a finished request; the caller adds its own pairs and calls {@code log()}.
   *
   * @param method the RPC, as {@code Recognize} or {@code RecognizeStream/item}
   * @param requestId the client's request id ("" when none)
   */
  public LoggingEventBuilder entry(String method, String requestId, Status.Code status, long nanos) {
    double ms = nanos / 1e6;
    return log.atInfo()
        .setMessage(() -> method + " " + status + " " + String.format(java.util.Locale.ROOT, "%.2f ms", ms))
        .addKeyValue("method", method)
        .addKeyValue("request_id", requestId)
        .addKeyValue("status", status.name())
        .addKeyValue("latency_ms", millis(nanos));
  }

  /** Nanoseconds as milliseconds to the microsecond, for the values of a line. */
  public static double millis(long nanos) {
    return Math.round(nanos / 1e3) / 1e3;
  }
}
