package imagerec.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback that puts network trouble between two processes: it passes bytes
 * through, delays every chunk, stalls (a partition: connections stay open and nothing arrives, as
 * when packets are dropped and TCP keeps retransmitting), or resets every open connection. One
 * thread per direction per connection; for tests only.
 */
final class TcpProxy implements AutoCloseable {
  enum Mode { PASS, DELAY, STALL }

  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Object modeChanged = new Object();
  private volatile Mode mode = Mode.PASS;
  private volatile long delayMillis;
  private volatile boolean closed;

  TcpProxy(int upstreamPort) throws IOException {
    this.upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "proxy-accept-" + port());
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  String address() {
    return "127.0.0.1:" + port();
  }

  void pass() {
    setMode(Mode.PASS);
  }

  /** Every chunk, either way, waits {@code millis} before it is passed on. */
  void delay(long millis) {
    delayMillis = millis;
    setMode(Mode.DELAY);
  }

  /** Nothing is passed on until the mode changes; connections stay open. */
  void stall() {
    setMode(Mode.STALL);
  }

  /** Resets (RST) every open connection; new ones are accepted as before. */
  void resetAll() {
    for (Socket s : sockets) {
      try {
        s.setSoLinger(true, 0);
        s.close();
      } catch (IOException e) {
        // already gone
      }
    }
    sockets.clear();
  }

  /** Connections open now, both sides counted. */
  int openSockets() {
    return sockets.size();
  }

  private void setMode(Mode next) {
    synchronized (modeChanged) {
      mode = next;
      modeChanged.notifyAll();
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        try {
          server.connect(upstream, 5000);
        } catch (IOException e) {
          client.close();
          continue;
        }
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        pump(client, server, "up");
        pump(server, client, "down");
      } catch (IOException e) {
        if (!closed) {
          System.err.println("proxy accept failed: " + e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          awaitPassing();
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // reset, closed, or the peer went away: close both sides below
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-" + direction + "-" + port());
    t.setDaemon(true);
    t.start();
  }

  private void awaitPassing() throws InterruptedException {
    synchronized (modeChanged) {
      while (mode == Mode.STALL && !closed) {
        modeChanged.wait(100);
      }
    }
    if (mode == Mode.DELAY) {
      Thread.sleep(delayMillis);
    }
  }

  private void closeQuietly(Socket socket) {
    sockets.remove(socket);
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    setMode(Mode.PASS);
    listener.close();
    resetAll();
  }
}
