package imagerec.cli;

import io.grpc.Status;

/**
 * The CLI's exit codes, documented in {@code imagerec --help}:
 * 0 success, 1 some inputs failed (or not SERVING), 2 usage error, 3 target unreachable or
 * unavailable, 4 deadline exceeded, 5 the server refused or failed the request.
 */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int SOME_FAILED = 1;
  public static final int USAGE = 2;
  public static final int UNAVAILABLE = 3;
  public static final int DEADLINE = 4;
  public static final int SERVER_ERROR = 5;

  static final String HELP = "Exit codes: 0 ok, 1 some inputs failed (health: not SERVING), "
      + "2 usage error, 3 cannot reach the target, 4 deadline exceeded, 5 request refused or failed by the server.";

  private ExitCodes() {}

  /** The exit code for a call-level failure with {@code status}. */
  public static int forStatus(Status status) {
    return switch (status.getCode()) {
      case OK -> OK;
      case UNAVAILABLE -> UNAVAILABLE;
      case DEADLINE_EXCEEDED -> DEADLINE;
      default -> SERVER_ERROR;
    };
  }
}
