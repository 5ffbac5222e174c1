package imagerec.observability;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP server for Prometheus: {@code GET /metrics} answers the process's metrics (OpenMetrics
 * when the scraper asks for it, else the Prometheus text format). One thread: scrapes are rare and
 * must not compete with serving.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

  private final HttpServer server;
  private final ExecutorService thread;

  private MetricsEndpoint(HttpServer server, ExecutorService thread) {
    this.server = server;
    this.thread = thread;
  }

  /**
   * Starts serving {@code metrics} as {@code config} says (and writes the bound port to its port
   * file); null when the config turns the endpoint off.
   */
  public static MetricsEndpoint start(ProcessMetrics metrics, MetricsConfig config) throws IOException {
    if (!config.enabled()) {
      return null;
    }
    MetricsEndpoint endpoint = start(metrics, config.host(), config.port());
    if (config.portFile() != null) {
      java.nio.file.Files.writeString(config.portFile(), Integer.toString(endpoint.port()), StandardCharsets.UTF_8);
    }
    return endpoint;
  }

  /** Starts serving {@code metrics} on {@code host:port} (port 0 picks a free one). */
  public static MetricsEndpoint start(ProcessMetrics metrics, String host, int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
    ExecutorService thread = Executors.newSingleThreadExecutor(
        new ThreadFactoryBuilder().setNameFormat("metrics-http").setDaemon(true).build());
    server.setExecutor(thread);
    server.createContext("/metrics", exchange -> {
      try (exchange) {
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
          exchange.getResponseHeaders().set("Allow", "GET, HEAD");
          exchange.sendResponseHeaders(405, -1);
          return;
        }
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        String contentType = accept != null && accept.contains("application/openmetrics-text")
            ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
            : "text/plain; version=0.0.4; charset=utf-8";
        byte[] body = metrics.scrape(contentType).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        reply(exchange, 200, body);
      } catch (RuntimeException e) {
        log.error("metrics scrape failed", e);
      }
    });
    server.createContext("/", exchange -> {
      try (exchange) {
        reply(exchange, 404, "not found; metrics are at /metrics\n".getBytes(StandardCharsets.UTF_8));
      }
    });
    server.start();
    log.info("metrics at http://{}:{}/metrics", host, server.getAddress().getPort());
    return new MetricsEndpoint(server, thread);
  }

  private static void reply(HttpExchange exchange, int code, byte[] body) throws IOException {
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(code, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    thread.shutdownNow();
  }
}
