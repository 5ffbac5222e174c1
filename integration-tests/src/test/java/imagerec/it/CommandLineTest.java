package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import imagerec.cli.ImagerecCommand;
import imagerec.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The imagerec CLI against real processes: recognize, eval (accuracy through the system), health. */
class CommandLineTest {
  static final Path FASHION_MNIST = Path.of(System.getProperty("imagerec.fashionMnist", "/usr/share/datasets/fashion-mnist"));
  @AutoClose
  private static ProcessCluster cluster;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.start("cli", 2);
  }

  /** Runs the CLI in this JVM. */
  static CommandRun imagerec(String... args) {
    return CommandRun.of(ImagerecCommand.commandLine(), args);
  }

  private String target() {
    return cluster.balancer().address();
  }

  @Test
  void recognizeJsonGivesOneObjectPerInputAndFailsOnlyTheBadOne() throws Exception {
    Path bad = tmp.resolve("not-an-image.png");
    Files.writeString(bad, "this is text");
    Path good = ProcessCluster.ROOT.resolve("samples/sneaker/0.png");
    CommandRun run = imagerec("recognize", "--target", target(), "--json", good.toString(), bad.toString());
    assertEquals(1, run.code(), "exit code when an input failed: " + run.err());
    List<String> lines = run.out().lines().toList();
    assertEquals(2, lines.size(), run.out());
    JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertEquals(good.toString(), first.get("file").getAsString());
    assertEquals("Sneaker", first.getAsJsonArray("top").get(0).getAsJsonObject().get("label").getAsString());
    assertTrue(first.getAsJsonArray("top").get(0).getAsJsonObject().get("score").getAsDouble() > 0.5);
    JsonObject second = JsonParser.parseString(lines.get(1)).getAsJsonObject();
    assertEquals("INVALID_ARGUMENT", second.get("error").getAsString());
    assertTrue(run.err().contains("1 recognized, 1 failed"), run.err());
  }

  @Test
  void recognizeAFolderSucceedsWithExitCodeZero() {
    CommandRun run = imagerec("recognize", "--target", target(), ProcessCluster.ROOT.resolve("samples").toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().lines().count() >= 30);
    assertTrue(run.out().contains("Ankle boot"), run.out());
  }

  @Test
  void unreachableTargetIsExplainedInOneLine() {
    CommandRun run = imagerec("recognize", "--target", "127.0.0.1:1", ProcessCluster.ROOT.resolve("samples/bag/0.png").toString());
    assertEquals(3, run.code());
    assertTrue(run.err().contains("cannot reach 127.0.0.1:1"), run.err());
    assertTrue(!run.err().contains("\tat "), "no stack trace: " + run.err());
  }

  @Test
  void healthIsServingThroughTheBalancer() {
    CommandRun run = imagerec("health", "--target", target());
    assertEquals(0, run.code(), run.err());
    assertEquals("SERVING", run.out().strip());
  }

  @Test
  void evalOnTheSampleFoldersIsPerfect() {
    CommandRun run = imagerec("eval", "--target", target(), "--dataset", ProcessCluster.ROOT.resolve("samples").toString());
    assertEquals(0, run.code(), run.out() + run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(lines.size() - 1).matches("accuracy: 1\\.0000 \\((\\d+)/\\1\\)"), run.out());
  }

  /** The held-out accuracy of the bundled model, measured through balancer and workers. */
  @Test
  void heldOutFashionMnistAccuracyIsAtLeast93PercentAndTheSameThroughTheInferenceProtocol() {
    assertTrue(Files.isDirectory(FASHION_MNIST), FASHION_MNIST + " missing: apt-get install dataset-fashion-mnist");
    String recognize = eval("stream");
    Matcher m = Pattern.compile("accuracy: (0\\.\\d{4}) \\((\\d+)/(\\d+)\\)").matcher(recognize.lines()
        .reduce((a, b) -> b).orElse(""));
    assertTrue(m.matches(), recognize);
    assertEquals(10_000, Integer.parseInt(m.group(3)));
    assertTrue(Double.parseDouble(m.group(1)) >= 0.93, "held-out accuracy " + m.group(1));
    assertEquals(withoutTimes(recognize), withoutTimes(eval("infer")),
        "ModelInfer, 8 images a request, gives the same confusion matrix as RecognizeStream");
  }

  /** {@code imagerec eval --confusion} over t10k through the balancer, images sent as {@code mode} says. */
  private String eval(String mode) {
    CommandRun run = imagerec("eval", "--target", target(), "--dataset", FASHION_MNIST.toString(), "--confusion",
        "--mode", mode);
    assertEquals(0, run.code(), run.out() + run.err());
    System.out.println(run.out());
    return run.out();
  }

  private static java.util.List<String> withoutTimes(String evalOutput) {
    return evalOutput.lines().filter(l -> !l.startsWith("recognized ")).toList();
  }
}
