package imagerec.balancer.http;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import imagerec.balancer.forwarding.Admission;
import imagerec.server.PortBindException;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer's HTTP port: the web page at {@code /} ({@link WebAssets}) with the read-only JSON it
 * is built from under {@code /api/} ({@link WebApi}), and uploads for clients without gRPC:
 * <ul>
 *   <li>{@code POST /image}: a {@code multipart/form-data} form with the image in the field
 *       {@code image} (as {@code curl -F image=@shirt.png http://host:8080/image}), and optionally the
 *       fields {@code model} and {@code top_k};
 *   <li>{@code POST /v1/recognize}: the image as the raw body, with {@code model}, {@code top_k} and
 *       {@code request_id} as query parameters;
 *   <li>{@code /v2/...}: the Open Inference Protocol's HTTP/JSON form ({@link InferenceRest}).
 * </ul>
 * Both accept {@code timeout_ms} (a query parameter) and an {@code Authorization: Bearer} header
 * (needed when the balancer has a token), and answer with the {@code RecognizeResponse}
 * as JSON (proto field names). Every request becomes one {@code Recognize} call on the balancer's
 * own service, so it is routed, retried, limited, measured and traced like any gRPC call; errors
 * come back as {@code {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": ...}}}
 * with the matching HTTP status.
 *
 * <p>With TLS configured the port serves HTTPS with the same certificate, so a token never travels
 * in clear. Each request holds one of a fixed number of threads while it runs; requests beyond those wait
 * in a bounded queue (1024), and past that their connection is closed unanswered. At a stop the
 * requests being handled get the grace period, like gRPC calls; queued and new ones are answered 503.
 */
public final class HttpGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
  private static final JsonFormat.Printer JSON = JsonFormat.printer().preservingProtoFieldNames();

  private volatile HttpServer server; // set by start()
  private final AtomicInteger exchanges = new AtomicInteger(); // requests queued or being handled
  private volatile boolean draining;
  private final ThreadPoolExecutor threads;
  private final RecognizerGrpc.RecognizerBlockingStub stub;
  private final HttpConfig config;
  private final int maxBodyBytes;
  private final Admission admission;
  private final WebAssets assets = new WebAssets();
  private final WebApi api;
  private final InferenceRest inference;
  private final SSLContext https;

  /**
   * Wires the endpoint; {@link #start()} binds it. {@code recognizer} is a channel to the
   * balancer's own Recognizer service.
   *
   * @param maxBodyBytes largest upload accepted (the gRPC message limit)
   * @param admission the balancer's byte limit, which an upload's copies count against
   * @param api the page's JSON endpoints
   * @param https the TLS identity to serve HTTPS with, or null for plain HTTP
   */
  public HttpGateway(HttpConfig config, Channel recognizer, int maxBodyBytes, Admission admission, WebApi api,
                     SSLContext https) {
    this.config = config;
    this.api = api;
    this.https = https;
    this.maxBodyBytes = maxBodyBytes;
    this.admission = admission;
    this.stub = RecognizerGrpc.newBlockingStub(recognizer);
    this.inference = new InferenceRest(recognizer, config.timeout(), maxBodyBytes, admission);
    this.threads = new ThreadPoolExecutor(config.threads(), config.threads(), 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(1024), new ThreadFactoryBuilder().setNameFormat("http-%d").setDaemon(true).build(), (task, pool) -> {
          throw new java.util.concurrent.RejectedExecutionException("HTTP queue full");
        });
  }

  /** Binds the port (a {@link PortBindException} naming {@code --http-port} when it cannot) and serves. */
  public void start() throws IOException {
    HttpServer bound = PortBindException.bind("--http-port", config.host(), config.port(), () -> {
      InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
      if (https == null) {
        return HttpServer.create(address, 128);
      }
      HttpsServer secure = HttpsServer.create(address, 128);
      secure.setHttpsConfigurator(new HttpsConfigurator(https));
      return secure;
    });
    bound.setExecutor(this::execute);
    bound.createContext("/image", refusedWhileDraining(exchange -> serve(exchange, true)));
    bound.createContext("/v1/recognize", refusedWhileDraining(exchange -> serve(exchange, false)));
    bound.createContext("/v2", refusedWhileDraining(exchange -> {
      try (exchange) {
        inference.serve(exchange);
      } catch (IOException | RuntimeException e) {
        log.warn("HTTP request failed: {}", e.toString());
      }
    }));
    bound.createContext("/", refusedWhileDraining(exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        if (assets.has(path)) {
          assets.serve(exchange, path);
        } else if (path.startsWith("/api/")) {
          api.serve(exchange, path);
        } else {
          JsonReplies.error(exchange, 404, "NOT_FOUND", "no such path: " + path + "; the web page is at /, "
              + "uploads go to /image (multipart field 'image') or /v1/recognize (raw body)");
        }
      } catch (IOException | RuntimeException e) {
        log.warn("HTTP request failed: {}", e.toString());
      }
    }));
    bound.start();
    this.server = bound;
    if (config.portFile() != null) {
      java.nio.file.Files.writeString(config.portFile(), Integer.toString(port()), StandardCharsets.UTF_8);
    }
    log.info("web page at {}://{}:{}/, uploads at /image and /v1/recognize", https == null ? "http" : "https",
        config.host(), port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Starts a stop: requests handled from now on, those already queued included, are answered 503
   * with {@code Connection: close}; those being handled go on ({@link #exchangesInFlight()} says
   * how many are left).
   */
  public void drain() {
    draining = true;
  }

  /** Requests queued or being handled now. */
  public int exchangesInFlight() {
    return exchanges.get();
  }

  /** Runs a request on the pool, counted from when it is queued until it is answered. */
  private void execute(Runnable exchange) {
    exchanges.incrementAndGet();
    try {
      threads.execute(() -> {
        try {
          exchange.run();
        } finally {
          exchanges.decrementAndGet();
        }
      });
    } catch (RuntimeException e) { // the queue is full: the server closes the connection
      exchanges.decrementAndGet();
      throw e;
    }
  }

  private HttpHandler refusedWhileDraining(HttpHandler handler) {
    return exchange -> {
      if (!draining) {
        handler.handle(exchange);
        return;
      }
      try (exchange) {
        exchange.getResponseHeaders().set("Connection", "close");
        JsonReplies.error(exchange, 503, "UNAVAILABLE", "the balancer is shutting down");
      }
    };
  }

  private void serve(HttpExchange exchange, boolean multipart) {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!path.equals(multipart ? "/image" : "/v1/recognize")) {
        JsonReplies.error(exchange, 404, "NOT_FOUND", "no such path: " + path);
        return;
      }
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.getResponseHeaders().set("Allow", "POST");
        JsonReplies.error(exchange, 405, "METHOD_NOT_ALLOWED", "use POST with the image");
        return;
      }
      // the body is read into memory, and a form is parsed into a second copy: both count against
      // the balancer's byte limit before a byte is read (the gRPC call counts the third copy)
      long held = 2L * expectedBytes(exchange, maxBodyBytes);
      if (!admission.tryHold(held)) {
        exchange.getResponseHeaders().set("Retry-After", "1");
        exchange.getResponseHeaders().set("Connection", "close");
        JsonReplies.error(exchange, 429, "RESOURCE_EXHAUSTED", admission.bytesExhausted().getDescription());
        return;
      }
      try {
        recognize(exchange, multipart);
      } finally {
        admission.releaseBytes(held);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("HTTP request failed: {}", e.toString());
    }
  }

  /** The body's declared length when it fits {@code maxBodyBytes}, else that limit (chunked uploads too). */
  static long expectedBytes(HttpExchange exchange, int maxBodyBytes) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    try {
      long declared = length == null ? maxBodyBytes : Long.parseLong(length.strip());
      return declared >= 0 && declared < maxBodyBytes ? declared : maxBodyBytes;
    } catch (NumberFormatException e) {
      return maxBodyBytes;
    }
  }

  private void recognize(HttpExchange exchange, boolean multipart) throws IOException {
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    RecognizeRequest.Builder request = RecognizeRequest.newBuilder();
    if (multipart) {
      if (!MultipartForm.isMultipart(exchange.getRequestHeaders().getFirst("Content-Type"))) {
        JsonReplies.error(exchange, 415, "UNSUPPORTED_MEDIA_TYPE",
            "send a multipart/form-data form with the image in the field 'image' (curl -F image=@file)");
        return;
      }
      MultipartForm form;
      try {
        form = MultipartForm.read(exchange, maxBodyBytes);
      } catch (MultipartForm.BadFormException e) {
        if (e.tooLarge) {
          tooLarge(exchange);
        } else {
          JsonReplies.error(exchange, 400, "INVALID_ARGUMENT", e.getMessage());
        }
        return;
      }
      byte[] image = form.bytes("image");
      if (image == null) {
        JsonReplies.error(exchange, 400, "INVALID_ARGUMENT", "the form has no field 'image'");
        return;
      }
      request.setImage(UnsafeByteOperations.unsafeWrap(image)); // ours alone: no copy
      putIfPresent(query, "model", form.text("model"));
      putIfPresent(query, "top_k", form.text("top_k"));
      putIfPresent(query, "request_id", form.text("request_id"));
    } else {
      byte[] body = readBody(exchange.getRequestBody());
      if (body == null) {
        tooLarge(exchange);
        return;
      }
      request.setImage(UnsafeByteOperations.unsafeWrap(body));
    }
    long timeoutMs = config.timeout().toMillis();
    try {
      request.setModel(query.getOrDefault("model", ""));
      request.setRequestId(query.getOrDefault("request_id", ""));
      if (query.containsKey("top_k")) {
        request.setTopK(Integer.parseInt(query.get("top_k").strip()));
      }
      if (query.containsKey("timeout_ms")) {
        timeoutMs = Math.min(timeoutMs, Long.parseLong(query.get("timeout_ms").strip()));
      }
    } catch (NumberFormatException e) {
      JsonReplies.error(exchange, 400, "INVALID_ARGUMENT", "top_k and timeout_ms must be whole numbers");
      return;
    }
    if (timeoutMs <= 0) {
      JsonReplies.error(exchange, 400, "INVALID_ARGUMENT", "timeout_ms must be positive");
      return;
    }
    RecognizeResponse response;
    RecognizerGrpc.RecognizerBlockingStub call = CallerHeaders.of( // the token checked as a gRPC caller's
        stub.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS), exchange);
    try {
      response = call.recognize(request.build());
    } catch (StatusRuntimeException e) {
      JsonReplies.error(exchange, e.getStatus());
      return;
    }
    JsonReplies.send(exchange, 200, JSON.print(response) + "\n");
  }

  /**
   * Answers 413. The rest of the body is read and dropped first, up to once more the limit, so the
   * client gets to read the answer; a larger upload has its connection closed after the answer.
   */
  private void tooLarge(HttpExchange exchange) throws IOException {
    // read, not skip: the JDK's request stream does not bound skip() by the body's length
    InputStream in = exchange.getRequestBody();
    byte[] sink = new byte[64 * 1024];
    long budget = 2L * maxBodyBytes;
    int n;
    while (budget > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, budget))) > 0) {
      budget -= n;
    }
    exchange.getResponseHeaders().set("Connection", "close");
    JsonReplies.error(exchange, 413, "PAYLOAD_TOO_LARGE", "upload larger than the limit of " + maxBodyBytes + " bytes");
  }

  /** The body, or null when it is larger than the limit (the rest is not read). */
  private byte[] readBody(InputStream in) throws IOException {
    byte[] body = in.readNBytes(maxBodyBytes + 1);
    return body.length > maxBodyBytes ? null : body;
  }

  private static void putIfPresent(Map<String, String> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.putIfAbsent(key, value);
    }
    return params;
  }

  /** Closes the port and every connection at once: {@link #drain()} first to let requests finish. */
  @Override
  public void close() {
    if (server != null) {
      server.stop(0); // JDK 17 waits the whole delay even when nothing runs (JDK-8304065): drain() waits instead
    }
    threads.shutdownNow();
  }
}
