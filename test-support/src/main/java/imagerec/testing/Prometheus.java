package imagerec.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Reads a server's {@code /metrics} the way Prometheus does, and single series from the text. */
public final class Prometheus {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Prometheus() {
  }

  /** The text exposition served at 127.0.0.1:{@code port}/metrics; fails unless it answers 200. */
  public static String scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError("/metrics on port " + port + " answered " + response.statusCode());
    }
    return response.body();
  }

  /** The value of one series ({@code name{labels}} as it is written) in a scrape, 0 when it is absent. */
  public static double value(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    return 0;
  }
}
