package imagerec.balancer.http;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import imagerec.balancer.metrics.CallStats;
import imagerec.security.TokenAuthenticator;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The read-only JSON the web page is built from, also for scripts:
 * <ul>
 *   <li>{@code GET /api/info}: what the page needs before anything else (upload limit, formats,
 *       whether tokens are needed, whether the workers panel is on); open to all;
 *   <li>{@code GET /api/models}: {@code ListModels} of the Recognizer service (the client token when
 *       one is set);
 *   <li>{@code GET /api/workers}: {@code ListWorkers} of BalancerAdmin (the admin token when one is
 *       set); 404 when the panel is turned off;
 *   <li>{@code GET /api/stats}: the balancer's recognitions over the last minute, second by second
 *       ({@link CallStats}; the client token when one is set).
 * </ul>
 * The gRPC calls go to the balancer's own services in process, so their tokens are checked there.
 */
public final class WebApi {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().preservingProtoFieldNames();
  private static final List<String> FORMATS = List.of("JPEG", "PNG", "GIF", "BMP", "WebP", "TIFF");

  private final Channel balancer;
  private final CallStats stats;
  private final TokenAuthenticator clientToken;
  private final boolean adminTokenSet;
  private final boolean workersPanel;
  private final int maxUploadBytes;

  /**
   * @param balancer a channel to the balancer's Recognizer and BalancerAdmin services
   * @param clientToken checks the client token for {@code /api/stats}; null when none is set
   */
  public WebApi(Channel balancer, CallStats stats, TokenAuthenticator clientToken, boolean adminTokenSet,
         boolean workersPanel, int maxUploadBytes) {
    this.balancer = balancer;
    this.stats = stats;
    this.clientToken = clientToken;
    this.adminTokenSet = adminTokenSet;
    this.workersPanel = workersPanel;
    this.maxUploadBytes = maxUploadBytes;
  }

  void serve(HttpExchange exchange, String path) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Allow", "GET");
      JsonReplies.error(exchange, 405, "METHOD_NOT_ALLOWED", path + " is read with GET");
      return;
    }
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    switch (path) {
      case "/api/info" -> JsonReplies.send(exchange, 200, info());
      case "/api/models" -> relay(exchange,
          () -> withToken(RecognizerGrpc.newBlockingStub(balancer), authorization)
              .listModels(ListModelsRequest.getDefaultInstance()));
      case "/api/workers" -> {
        if (!workersPanel) {
          JsonReplies.error(exchange, 404, "NOT_FOUND", "the workers panel is turned off (--http-workers-panel)");
          return;
        }
        relay(exchange, () -> withToken(BalancerAdminGrpc.newBlockingStub(balancer), authorization)
            .listWorkers(ListWorkersRequest.getDefaultInstance()));
      }
      case "/api/stats" -> {
        String problem = clientToken == null ? null : clientToken.problem(authorization);
        if (problem != null) {
          exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
          JsonReplies.error(exchange, 401, "UNAUTHENTICATED", problem);
          return;
        }
        JsonReplies.send(exchange, 200, minute(stats.lastMinute()));
      }
      default -> JsonReplies.error(exchange, 404, "NOT_FOUND",
          "no such path: " + path + "; the API has /api/info, /api/models, /api/workers, /api/stats");
    }
  }

  private Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("max_upload_bytes", maxUploadBytes);
    info.put("formats", FORMATS);
    info.put("token_required", clientToken != null);
    info.put("admin_token_required", adminTokenSet);
    info.put("workers_panel", workersPanel);
    return info;
  }

  private static Map<String, Object> minute(CallStats.Minute minute) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("calls_per_s", minute.callsPerSecond());
    json.put("failures", minute.failures());
    json.put("p50_ms", minute.p50Ms());
    json.put("p99_ms", minute.p99Ms());
    json.put("seconds", minute.seconds().stream().map(s -> {
      Map<String, Object> second = new LinkedHashMap<>();
      second.put("t", s.epochSecond());
      second.put("calls", s.calls());
      second.put("failures", s.failures());
      second.put("p50_ms", s.p50Ms());
      second.put("p99_ms", s.p99Ms());
      return second;
    }).toList());
    return json;
  }

  private static <S extends AbstractStub<S>> S withToken(S stub, String authorization) {
    return CallerHeaders.carrying(stub.withDeadlineAfter(5, TimeUnit.SECONDS), authorization);
  }

  private interface Call {
    MessageOrBuilder run();
  }

  private static void relay(HttpExchange exchange, Call call) throws IOException {
    MessageOrBuilder answer;
    try {
      answer = call.run();
    } catch (StatusRuntimeException e) {
      JsonReplies.error(exchange, e.getStatus());
      return;
    }
    JsonReplies.send(exchange, 200, JSON.print(answer) + "\n");
  }
}
