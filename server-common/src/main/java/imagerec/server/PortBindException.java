package imagerec.server;

import java.io.IOException;
import java.util.Locale;

/**
 * A server could not listen on one of its ports: taken by another process, not permitted, or an
 * address this host does not have. Its message is the one line an operator needs: the address,
 * the option that sets it, and why.
 */
public final class PortBindException extends IOException {
  /** Something that binds a port, and fails with an IOException when it cannot. */
  @FunctionalInterface
  public interface Binding<T> {
    T bind() throws IOException;
  }

  private final String option;

  /**
   * @param option the option of the port, as {@code --metrics-port}; its address's option is named
   *     alike ({@code --metrics-host}), and the message names that one when the address is the problem
   */
  public PortBindException(String option, String host, int port, Throwable cause) {
    super(message(option, host, port, reason(cause)), cause);
    this.option = option;
  }

  private static String message(String option, String host, int port, String reason) {
    // an address this host does not have, or a name that does not resolve: the host option is wrong, not the port
    boolean address = reason.contains("assign requested address") || reason.contains("unresolved");
    String remedy = address ? "check " + option.replace("-port", "-host") : "choose another with " + option;
    return "cannot listen on " + host + ":" + port + " (" + option + "): " + reason + "; " + remedy;
  }

  /** The option that sets the port, as {@code --metrics-port}. */
  public String option() {
    return option;
  }

  /** Runs {@code binding}, turning its failure into a PortBindException that names {@code option}. */
  public static <T> T bind(String option, String host, int port, Binding<T> binding) throws PortBindException {
    try {
      return binding.bind();
    } catch (PortBindException e) {
      throw e;
    } catch (IOException e) {
      throw new PortBindException(option, host, port, e);
    }
  }

  /** The innermost cause's message, which is the operating system's reason (gRPC and Netty wrap it). */
  private static String reason(Throwable cause) {
    String reason = null;
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        reason = t.getMessage();
      }
    }
    if (reason == null) {
      return cause.getClass().getSimpleName();
    }
    // Netty's native transport: "bind(..) failed: Address already in use", "bind(..) failed with error(-99): ..."
    String plain = reason.replaceFirst("^.*failed(?: with error\\(-?\\d+\\))?: ", "");
    return plain.isEmpty() ? plain : plain.substring(0, 1).toLowerCase(Locale.ROOT) + plain.substring(1);
  }
}
