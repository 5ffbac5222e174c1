package imagerec.grpc;

/**
 * A network address as HOST:PORT, the form every address takes in imagerec's options and messages
 * (static workers, discovery names, a worker's registration and the address it advertises, the
 * CLI's target): a name or IPv4 address, or an IPv6 address in brackets, and a port from 1 to
 * 65535. Checked here, where the address is given, so that a bad one is refused with a message
 * saying why: left to a channel, a port out of range makes grpc-java's DNS resolver throw on its
 * own thread, and the channel's calls wait until their deadline (or for ever without one).
 *
 * @param host the name or address, an IPv6 address without its brackets
 * @param port 1 to 65535
 */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isEmpty() || host.chars().anyMatch(c -> Character.isWhitespace(c) || "/[]".indexOf(c) >= 0)) {
      throw new IllegalArgumentException("host '" + host + "' is empty or holds a space, '/', '[' or ']'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not 1 to 65535");
    }
  }

  /**
   * Reads {@code address}, as {@code worker-1:50061}, {@code 10.0.0.7:50061} or {@code [::1]:50061}.
   *
   * @throws IllegalArgumentException saying what is wrong with it, the address quoted
   */
  public static HostPort parse(String address) {
    int colon = address.lastIndexOf(':');
    boolean bracketed = address.startsWith("[");
    String host = colon < 0 ? "" : address.substring(0, colon);
    if (bracketed) {
      if (!host.endsWith("]") || !host.substring(1, host.length() - 1).matches("[0-9a-fA-F:.]+(%\\w+)?")) {
        throw new IllegalArgumentException("'" + address + "' is not HOST:PORT ([IPV6]:PORT for an IPv6 address)");
      }
      host = host.substring(1, host.length() - 1);
    } else if (host.isEmpty() || host.contains(":")) {
      throw new IllegalArgumentException("'" + address + "' is not HOST:PORT ([IPV6]:PORT for an IPv6 address)");
    }
    String port = address.substring(colon + 1);
    if (!port.matches("\\d{1,5}")) {
      throw new IllegalArgumentException("'" + address + "' has no port number after its last ':'");
    }
    try {
      return new HostPort(host, Integer.parseInt(port));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + address + "': " + e.getMessage(), e);
    }
  }

  /**
   * {@link #parse(String)}, its complaint starting with {@code what}, the option or field the
   * address came from: "--workers 'w:0': port 0 is not 1 to 65535".
   */
  public static HostPort parse(String address, String what) {
    try {
      return parse(address);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " " + e.getMessage(), e);
    }
  }

  /** The address as {@link #parse} reads it, the host of an IPv6 address in brackets. */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
