package imagerec.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for tests: take one, find a free one, check that nothing holds one any more. */
public final class Ports {
  private Ports() {
  }

  /** A socket listening on 127.0.0.1:{@code port} (0 for any free port); close it to let go. */
  public static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
    return socket;
  }

  /** A port that was free a moment ago. */
  public static int free() throws IOException {
    try (ServerSocket socket = listen(0)) {
      return socket.getLocalPort();
    }
  }

  /** Throws {@link java.net.BindException} if something still listens on {@code port}. */
  public static void assertBindable(int port) throws IOException {
    listen(port).close();
  }
}
