package imagerec.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accumulates the outcomes of an evaluation: per true class, how many images, how many right, and
 * the confusion matrix of true against predicted class (errors in their own column). Thread-safe.
 */
final class EvalReport {
  private final List<String> labels;
  private final long[][] confusion; // [true][predicted], last column: errors
  private final Map<String, Integer> errorCodes = new TreeMap<>();
  private int total;
  private int correct;
  private int errors;

  /** @param labels the model's labels, in class-index order */
  EvalReport(List<String> labels) {
    this.labels = labels;
    this.confusion = new long[labels.size()][labels.size() + 1];
  }

  /** An image of class {@code trueIndex} was recognized as {@code predicted}. */
  synchronized void recognized(int trueIndex, int predicted) {
    total++;
    if (predicted == trueIndex) {
      correct++;
    }
    if (trueIndex >= 0 && trueIndex < labels.size() && predicted >= 0 && predicted < labels.size()) {
      confusion[trueIndex][predicted]++;
    }
  }

  /** An image of class {@code trueIndex} failed with {@code code}. */
  synchronized void failed(int trueIndex, String code) {
    total++;
    errors++;
    errorCodes.merge(code, 1, Integer::sum);
    if (trueIndex >= 0 && trueIndex < labels.size()) {
      confusion[trueIndex][labels.size()]++;
    }
  }

  synchronized int total() {
    return total;
  }

  synchronized int correct() {
    return correct;
  }

  synchronized int errors() {
    return errors;
  }

  synchronized Map<String, Integer> errorCodes() {
    return Map.copyOf(errorCodes);
  }

  /** Prints the per-class accuracy table and, if asked, the confusion matrix. */
  synchronized void print(PrintWriter out, boolean withConfusion) {
    int width = Math.max(5, labels.stream().mapToInt(String::length).max().orElse(5));
    out.printf(Locale.ROOT, "%-" + width + "s %7s %7s %9s%n", "class", "images", "right", "accuracy");
    for (int c = 0; c < labels.size(); c++) {
      long n = 0;
      for (long v : confusion[c]) {
        n += v;
      }
      if (n == 0) {
        continue;
      }
      out.printf(Locale.ROOT, "%-" + width + "s %7d %7d %9.4f%n", labels.get(c), n, confusion[c][c],
          (double) confusion[c][c] / n);
    }
    if (!withConfusion) {
      return;
    }
    out.println();
    out.println("confusion matrix: rows are true classes, columns predicted (numbered as the rows), err = failed");
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-" + (width + 4) + "s", ""));
    for (int c = 0; c < labels.size(); c++) {
      header.append(String.format(Locale.ROOT, "%6d", c));
    }
    out.println(header.append(String.format(Locale.ROOT, "%6s", "err")));
    for (int t = 0; t < labels.size(); t++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%2d  %-" + width + "s", t, labels.get(t)));
      for (long v : confusion[t]) {
        row.append(String.format(Locale.ROOT, "%6d", v));
      }
      out.println(row);
    }
  }
}
