package imagerec.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on standard error, redrawn in place at most ten times a second. Only
 * used when the output is a terminal; callers clear it before printing a line of their own.
 * Not thread-safe: callers serialize.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final int total;
  private final long start = System.nanoTime();
  private long lastDraw;
  private boolean visible;

  ProgressBar(PrintWriter err, int total) {
    this.err = err;
    this.total = total;
  }

  /** Redraws if 100 ms have passed since the last draw (or {@code force}). */
  void update(int done, int failed, boolean force) {
    long now = System.nanoTime();
    if (!force && now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    int filled = total == 0 ? WIDTH : (int) ((long) done * WIDTH / total);
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    err.print(String.format(Locale.ROOT, "\r[%s%s] %d/%d  %d failed  %.0f images/s\u001b[K",
        "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, failed, done / seconds));
    err.flush();
    visible = true;
  }

  /** Draws the final state and leaves it on its own line. */
  void finish(int done, int failed) {
    update(done, failed, true);
    err.println();
    err.flush();
    visible = false;
  }

  /** Removes the bar from the line, so other output can be printed. */
  void clear() {
    if (visible) {
      err.print("\r\u001b[K");
      err.flush();
      visible = false;
    }
  }
}
