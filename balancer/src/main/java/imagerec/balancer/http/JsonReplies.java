package imagerec.balancer.http;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** The HTTP endpoints' JSON answers, errors as {@code {"error": {"code", "status", "message"}}}. */
final class JsonReplies {
  /** Every JSON body of the HTTP port: read by programs and curl users, never embedded in HTML, so not HTML-escaped. */
  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private JsonReplies() {
  }

  static void error(HttpExchange exchange, int code, String status, String message) throws IOException {
    JsonObject error = new JsonObject();
    error.addProperty("code", code);
    error.addProperty("status", status);
    error.addProperty("message", message);
    JsonObject body = new JsonObject();
    body.add("error", error);
    send(exchange, code, GSON.toJson(body) + "\n");
  }

  /** A gRPC call's failure as the matching HTTP status, with Retry-After or WWW-Authenticate where they apply. */
  static void error(HttpExchange exchange, Status status) throws IOException {
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      exchange.getResponseHeaders().set("Retry-After", "1");
    } else if (status.getCode() == Status.Code.UNAUTHENTICATED) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
    }
    error(exchange, HttpStatuses.of(status.getCode()), status.getCode().name(),
        status.getDescription() == null ? status.getCode().name() : status.getDescription());
  }

  static void send(HttpExchange exchange, int code, Object value) throws IOException {
    send(exchange, code, GSON.toJson(value) + "\n");
  }

  static void send(HttpExchange exchange, int code, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(code, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
