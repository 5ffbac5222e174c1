package imagerec.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The figures of the reliability scenarios: each test adds one row (load held, faults injected,
 * calls sent, succeeded, failed by status, lost, recovery time) to
 * {@code integration-tests/target/reliability/figures.md} and prints it. The long suite
 * ({@code bin/reliability}) runs the same scenarios {@link #SCALE} times longer.
 */
final class Figures {
  /** How many times longer than in CI each scenario runs ({@code -Dimagerec.reliability.scale}). */
  static final int SCALE = Integer.getInteger("imagerec.reliability.scale", 1);
  static final Path FILE = ProcessCluster.ROOT.resolve("integration-tests/target/reliability/figures.md");

  private Figures() {}

  /** {@code seconds} scaled for the suite being run. */
  static Duration seconds(double seconds) {
    return Duration.ofMillis((long) (seconds * 1000 * SCALE));
  }

  /** Sleeps {@code seconds}, scaled. */
  static void hold(double seconds) throws InterruptedException {
    Thread.sleep(seconds(seconds).toMillis());
  }

  /**
   * Appends one scenario's row.
   *
   * @param recovery what recovery meant there and how long it took, or "-"
   */
  static synchronized void report(String scenario, String load, String faults, long sent, long ok,
                                  Map<?, Long> failed, long lost, String recovery) throws IOException {
    Files.createDirectories(FILE.getParent());
    if (!Files.exists(FILE)) {
      Files.writeString(FILE, "| scenario | load | faults | sent | ok | failed (status: n) | lost | recovery |\n"
          + "|---|---|---|---|---|---|---|---|\n", StandardCharsets.UTF_8);
    }
    String failures = failed.isEmpty() ? "0" : failed.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
    String row = "| " + String.join(" | ", scenario, load, faults, Long.toString(sent), Long.toString(ok), failures,
        Long.toString(lost), recovery) + " |\n";
    Files.writeString(FILE, row, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    System.out.print("FIGURES " + row);
  }

  /** Milliseconds, for the table. */
  static String ms(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.0f ms", nanos / 1e6);
  }
}
