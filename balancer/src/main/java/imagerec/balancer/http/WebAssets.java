package imagerec.balancer.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web page's files, from the balancer's jar ({@code imagerec/balancer/web/}): read once, served
 * for GET and HEAD with a content security policy that allows nothing from elsewhere (the page
 * works on an offline network) and no inline script.
 */
final class WebAssets {
  private static final String DIRECTORY = "/imagerec/balancer/web/";
  private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private static final Map<String, String> TYPES = Map.of(
      "/", "text/html; charset=utf-8",
      "/app.js", "text/javascript; charset=utf-8",
      "/style.css", "text/css; charset=utf-8");

  private final Map<String, byte[]> files;

  WebAssets() {
    this.files = Map.of("/", read("index.html"), "/app.js", read("app.js"), "/style.css", read("style.css"));
  }

  private static byte[] read(String name) {
    try (InputStream in = WebAssets.class.getResourceAsStream(DIRECTORY + name)) {
      if (in == null) {
        throw new IllegalStateException("the balancer's jar lacks " + DIRECTORY + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether {@code path} is one of the page's files. */
  boolean has(String path) {
    return files.containsKey(path);
  }

  void serve(HttpExchange exchange, String path) throws IOException {
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      JsonReplies.error(exchange, 405, "METHOD_NOT_ALLOWED", "the page is read with GET");
      return;
    }
    byte[] body = files.get(path);
    exchange.getResponseHeaders().set("Content-Type", TYPES.get(path));
    exchange.getResponseHeaders().set("Content-Security-Policy", POLICY);
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    if (method.equals("HEAD")) {
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
