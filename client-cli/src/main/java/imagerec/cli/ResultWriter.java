package imagerec.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import imagerec.v1.Classification;
import imagerec.v1.RecognizeResponse;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes one line per input in the chosen format: an aligned table for people, JSON Lines or CSV
 * for programs. Not thread-safe: callers serialize.
 */
final class ResultWriter {
  /** Output formats of {@code recognize}. */
  enum Format { TABLE, JSON, CSV }

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private final PrintWriter out;
  private final Format format;
  private final int fileWidth;

  /** @param fileWidth width of the file column in the table (the longest input name) */
  ResultWriter(PrintWriter out, Format format, int fileWidth) {
    this.out = out;
    this.format = format;
    this.fileWidth = Math.max(4, fileWidth);
  }

  void header() {
    switch (format) {
      case TABLE -> out.println(String.format(Locale.ROOT, "%-" + fileWidth + "s  %-14s %6s  %-36s %s",
          "FILE", "LABEL", "SCORE", "NEXT", "WORKER"));
      case CSV -> out.println("file,label,score,index,labels,worker,latency_ms,error,message");
      case JSON -> { }
    }
  }

  void write(String file, Outcome o) {
    out.println(switch (format) {
      case TABLE -> table(file, o);
      case JSON -> json(file, o);
      case CSV -> csv(file, o);
    });
  }

  void flush() {
    out.flush();
  }

  private String table(String file, Outcome o) {
    if (!o.ok()) {
      return String.format(Locale.ROOT, "%-" + fileWidth + "s  %s: %s", file, o.error(), o.message());
    }
    if (o.response().getEmbeddingCount() > 0) {
      return String.format(Locale.ROOT, "%-" + fileWidth + "s  %-14s %6s  %-36s %s", file,
          "embedding", Integer.toString(o.response().getEmbeddingCount()), embeddingSummary(o.response()),
          o.response().getWorker());
    }
    List<Classification> top = o.response().getClassificationsList();
    List<String> next = new ArrayList<>();
    for (int i = 1; i < top.size(); i++) {
      next.add(top.get(i).getLabel() + " " + percent(top.get(i).getScore()));
    }
    Classification best = top.isEmpty() ? Classification.getDefaultInstance() : top.get(0);
    return String.format(Locale.ROOT, "%-" + fileWidth + "s  %-14s %6s  %-36s %s", file, best.getLabel(),
        percent(best.getScore()), String.join(", ", next), o.response().getWorker());
  }

  /** The vector's L2 norm and its first values. */
  private static String embeddingSummary(RecognizeResponse r) {
    double sum = 0;
    for (float v : r.getEmbeddingList()) {
      sum += (double) v * v;
    }
    StringBuilder first = new StringBuilder();
    for (int i = 0; i < Math.min(3, r.getEmbeddingCount()); i++) {
      first.append(String.format(Locale.ROOT, " %.4f", r.getEmbedding(i)));
    }
    return String.format(Locale.ROOT, "norm %.4f [%s%s]", Math.sqrt(sum), first.toString().strip(),
        r.getEmbeddingCount() > 3 ? " ..." : "");
  }

  private static String percent(float score) {
    return String.format(Locale.ROOT, "%.1f%%", score * 100);
  }

  private static String json(String file, Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file);
    if (!o.ok()) {
      m.put("error", o.error());
      m.put("message", o.message());
      return GSON.toJson(m);
    }
    RecognizeResponse r = o.response();
    m.put("model", r.getModel());
    m.put("model_version", r.getModelVersion());
    List<Map<String, Object>> top = new ArrayList<>();
    for (Classification c : r.getClassificationsList()) {
      Map<String, Object> label = new LinkedHashMap<>();
      label.put("label", c.getLabel());
      label.put("score", Math.round(c.getScore() * 1e6) / 1e6);
      label.put("index", c.getIndex());
      top.add(label);
    }
    m.put("top", top);
    if (r.getEmbeddingCount() > 0) {
      m.put("embedding", r.getEmbeddingList());
    }
    m.put("worker", r.getWorker());
    m.put("latency_ms", r.getTimings().getTotalMicros() / 1000.0);
    return GSON.toJson(m);
  }

  private static String csv(String file, Outcome o) {
    if (!o.ok()) {
      return String.join(",", quote(file), "", "", "", "", "", "", o.error(), quote(o.message()));
    }
    RecognizeResponse r = o.response();
    List<String> labels = new ArrayList<>();
    r.getClassificationsList().forEach(c -> labels.add(c.getLabel() + ":" + String.format(Locale.ROOT, "%.6f", c.getScore())));
    Classification best = r.getClassificationsCount() == 0 ? Classification.getDefaultInstance() : r.getClassifications(0);
    if (r.getEmbeddingCount() > 0) {
      labels.add("embedding:" + r.getEmbeddingCount());
    }
    return String.join(",", quote(file), quote(best.getLabel()), String.format(Locale.ROOT, "%.6f", best.getScore()),
        Integer.toString(best.getIndex()), quote(String.join(";", labels)), quote(r.getWorker()),
        String.format(Locale.ROOT, "%.3f", r.getTimings().getTotalMicros() / 1000.0), "", "");
  }

  /** RFC 4180 quoting where needed. */
  static String quote(String value) {
    if (value == null) {
      return "";
    }
    if (value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r")) {
      return '"' + value.replace("\"", "\"\"") + '"';
    }
    return value;
  }
}
