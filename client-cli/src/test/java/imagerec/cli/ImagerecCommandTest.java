package imagerec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import imagerec.testing.CommandRun;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command of the CLI against a fake balancer on a loopback port: output and exit codes. */
class ImagerecCommandTest {
  private FakeBalancer server;

  @TempDir
  Path dir;

  @BeforeEach
  void start() throws Exception {
    server = new FakeBalancer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static CommandRun run(String... args) {
    return CommandRun.of(ImagerecCommand.commandLine(), args);
  }

  private CommandRun imagerec(String command, String... args) {
    String[] all = new String[args.length + 3];
    all[0] = command;
    all[1] = "--target";
    all[2] = server.target();
    System.arraycopy(args, 0, all, 3, args.length);
    return run(all);
  }

  private Path write(String name, byte[] bytes) throws Exception {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
    return file;
  }

  @Test
  void recognizePrintsATableInInputOrderAndExitsZero() throws Exception {
    Path a = write("a.png", FakeBalancer.image("cat"));
    Path b = write("b.png", FakeBalancer.image("dog"));
    CommandRun run = imagerec("recognize", a.toString(), b.toString());
    assertEquals(0, run.code(), run.err());
    List<String> lines = run.lines();
    assertTrue(lines.get(0).startsWith("FILE"), lines.get(0));
    assertTrue(lines.get(1).startsWith(a.toString()) && lines.get(1).contains("cat") && lines.get(1).contains("90.0%"), lines.get(1));
    assertTrue(lines.get(2).startsWith(b.toString()) && lines.get(2).contains("dog"), lines.get(2));
    assertTrue(run.err().contains("2 recognized, 0 failed"), run.err());
  }

  @Test
  void someInputsNotImagesAreReportedInlineCountedAndExitOne() throws Exception {
    Path good = write("good.png", FakeBalancer.image("cat"));
    Path bad = write("bad.png", "plain text".getBytes());
    for (String mode : List.of("stream", "unary")) {
      CommandRun run = imagerec("recognize", "--json", "--mode", mode, good.toString(), bad.toString());
      assertEquals(1, run.code(), mode + ": " + run.err());
      JsonObject first = JsonParser.parseString(run.lines().get(0)).getAsJsonObject();
      JsonObject second = JsonParser.parseString(run.lines().get(1)).getAsJsonObject();
      assertEquals("cat", first.getAsJsonArray("top").get(0).getAsJsonObject().get("label").getAsString());
      assertEquals(good.toString(), first.get("file").getAsString());
      assertEquals("INVALID_ARGUMENT", second.get("error").getAsString(), mode);
      assertEquals("not a supported image", second.get("message").getAsString());
      assertTrue(run.err().contains("1 recognized, 1 failed"), run.err());
    }
  }

  @Test
  void csvHasAHeaderAndQuotesWhereNeeded() throws Exception {
    Path a = write("x,y.png", FakeBalancer.image("T-shirt/top"));
    CommandRun run = imagerec("recognize", "--csv", a.toString());
    assertEquals(0, run.code(), run.err());
    assertEquals("file,label,score,index,labels,worker,latency_ms,error,message", run.lines().get(0));
    assertTrue(run.lines().get(1).startsWith("\"" + a + "\",T-shirt/top,0.900000,2,"), run.lines().get(1));
  }

  @Test
  void foldersAreWalkedAndAPipedRunHasNoProgressBar() throws Exception {
    for (int i = 0; i < 30; i++) {
      write("many/sub/" + i + ".png", FakeBalancer.image("dog"));
    }
    write("many/notes.txt", "ignored: not an image extension".getBytes());
    CommandRun run = imagerec("recognize", "--json", dir.resolve("many").toString());
    assertEquals(0, run.code(), run.err());
    assertEquals(30, run.lines().size());
    assertFalse(run.err().contains("\r"), "progress bar drawn into a pipe: " + run.err());
    assertFalse(run.err().contains("images/s"), run.err());

    CommandRun forced = imagerec("recognize", "--json", "--progress", dir.resolve("many").toString());
    assertTrue(forced.err().contains("\r[") && forced.err().contains("] 30/30"), "forced bar missing: " + forced.err());
    assertEquals(30, forced.lines().size(), "the bar must not go to standard output");
  }

  @Test
  void globsTheShellDidNotExpandAreExpanded() throws Exception {
    write("g/one.png", FakeBalancer.image("cat"));
    write("g/two.png", FakeBalancer.image("cat"));
    write("g/three.jpg", FakeBalancer.image("cat"));
    CommandRun run = imagerec("recognize", "--json", dir.resolve("g").toString() + "/*.png");
    assertEquals(0, run.code(), run.err());
    assertEquals(2, run.lines().size(), run.out());
  }

  @Test
  void dashReadsOneImageFromStandardInput() {
    java.io.InputStream original = System.in;
    System.setIn(new java.io.ByteArrayInputStream(FakeBalancer.image("dog")));
    try {
      CommandRun run = imagerec("recognize", "--json", "-");
      assertEquals(0, run.code(), run.err());
      JsonObject result = JsonParser.parseString(run.lines().get(0)).getAsJsonObject();
      assertEquals("-", result.get("file").getAsString());
      assertEquals("dog", result.getAsJsonArray("top").get(0).getAsJsonObject().get("label").getAsString());
    } finally {
      System.setIn(original);
    }
  }

  @Test
  void unreachableTargetExitsThreeInEitherMode() throws Exception {
    Path a = write("a.png", FakeBalancer.image("cat"));
    for (String mode : List.of("stream", "unary")) {
      CommandRun run = run("recognize", "--target", "127.0.0.1:1", "--mode", mode, a.toString());
      assertEquals(3, run.code(), mode + ": " + run.err());
      assertTrue(run.err().contains("cannot reach 127.0.0.1:1"), run.err());
      assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }
  }

  @Test
  void aTargetOrTlsFilesThatCannotWorkAreUsageErrorsBeforeAnyCall() throws Exception {
    Path a = write("a.png", FakeBalancer.image("cat"));
    // a port out of range once made the channel's resolver throw on its own thread: a stream waited for ever
    CommandRun outOfRange = run("recognize", "--target", "localhost:99999", "--deadline", "5s", a.toString());
    assertEquals(2, outOfRange.code(), outOfRange.err());
    assertTrue(outOfRange.err().contains("--target 'localhost:99999': port 99999 is not 1 to 65535"), outOfRange.err());
    assertEquals("", outOfRange.out(), "no table header before the error");
    CommandRun noPort = run("models", "--target", "localhost");
    assertEquals(2, noPort.code(), noPort.err());
    assertTrue(noPort.err().contains("'localhost' is not HOST:PORT"), noPort.err());
    CommandRun certWithoutKey = imagerec("health", "--cert", a.toString());
    assertEquals(2, certWithoutKey.code(), certWithoutKey.err());
    assertTrue(certWithoutKey.err().contains("--cert needs --key"), certWithoutKey.err());
    CommandRun missingCa = imagerec("health", "--ca-cert", dir.resolve("nope.pem").toString());
    assertEquals(2, missingCa.code(), missingCa.err());
    assertTrue(missingCa.err().contains("cannot read the TLS files") && missingCa.err().contains("nope.pem"),
        missingCa.err());
    assertFalse((outOfRange.err() + certWithoutKey.err() + missingCa.err()).contains("Exception"), "no exception names");
  }

  @Test
  void missingFileIsAUsageError() {
    CommandRun run = imagerec("recognize", dir.resolve("nope.png").toString());
    assertEquals(2, run.code());
    assertTrue(run.err().contains("no such file or folder"), run.err());
  }

  @Test
  void evalPrintsPerClassAccuracyConfusionAndTheAccuracyLineLast() throws Exception {
    write("ds/cat/1.png", FakeBalancer.image("cat"));
    write("ds/cat/2.png", FakeBalancer.image("dog")); // wrong
    write("ds/dog/1.png", FakeBalancer.image("dog"));
    write("ds/t-shirt-top/1.png", FakeBalancer.image("T-shirt/top"));
    CommandRun run = imagerec("eval", "--dataset", dir.resolve("ds").toString(), "--confusion");
    assertEquals(0, run.code(), run.out() + run.err());
    List<String> lines = run.lines();
    assertEquals("accuracy: 0.7500 (3/4)", lines.get(lines.size() - 1));
    assertTrue(lines.contains("cat               2       1    0.5000"), run.out());
    assertTrue(run.out().contains("confusion matrix"), run.out());
    // true cat: once cat, once dog; no errors
    assertTrue(lines.stream().anyMatch(l -> l.strip().split("\\s+").length == 6
        && List.of(l.strip().split("\\s+")).equals(List.of("0", "cat", "1", "1", "0", "0"))), run.out());
  }

  @Test
  void benchReportsThroughputAndPercentilesPerStep() {
    Path samples = dir.resolve("bench");
    try {
      write("bench/a.png", FakeBalancer.image("cat"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    CommandRun run = imagerec("bench", "--concurrency", "1,4", "--count", "200", "--warmup", "0s", samples.toString());
    assertEquals(0, run.code(), run.out() + run.err());
    assertTrue(run.out().contains("p99 ms"), run.out());
    assertTrue(run.lines().stream().anyMatch(l -> l.startsWith("concurrency 1 ") && l.contains(" 200 ")), run.out());
    assertTrue(run.lines().stream().anyMatch(l -> l.startsWith("concurrency 4 ")), run.out());

    CommandRun json = imagerec("bench", "--rate", "400", "--count", "100", "--warmup", "0s", "--json", "--mode", "stream",
        samples.toString());
    assertEquals(0, json.code(), json.out() + json.err());
    JsonObject step = JsonParser.parseString(json.lines().get(0)).getAsJsonObject();
    assertEquals(100, step.get("calls").getAsLong());
    assertEquals(100, step.get("ok").getAsLong());
    assertTrue(step.getAsJsonObject("latency_ms").get("p99").getAsDouble() > 0);
    assertTrue(step.get("calls_per_s").getAsDouble() > 50, step.toString());

    CommandRun empty = imagerec("bench", "--duration", "0s", samples.toString());
    assertEquals(2, empty.code(), "a step of nothing is a usage error: " + empty.out() + empty.err());
    assertTrue(empty.err().contains("--duration above 0s or a --count above 0"), empty.err());
  }

  @Test
  void benchCountsErrorsByCode() throws Exception {
    Path bad = write("bad/x.png", "not an image".getBytes());
    CommandRun run = imagerec("bench", "--concurrency", "2", "--count", "20", "--warmup", "0s", bad.toString());
    assertEquals(1, run.code());
    assertTrue(run.out().contains("{INVALID_ARGUMENT=20}"), run.out());
    CommandRun json = imagerec("bench", "--concurrency", "2", "--count", "20", "--warmup", "0s", "--json", bad.toString());
    JsonObject step = JsonParser.parseString(json.lines().get(0)).getAsJsonObject();
    assertTrue(step.get("calls_per_s").getAsDouble() > 0, step.toString());
    assertEquals(0.0, step.get("images_per_s").getAsDouble(), "no image was recognized: " + step);
  }

  @Test
  void workersListsDrainsAndUndrains() {
    CommandRun list = imagerec("workers");
    assertEquals(0, list.code(), list.err());
    assertTrue(list.lines().get(0).startsWith("ADDRESS"));
    assertTrue(list.lines().get(1).startsWith("10.0.0.1:50061") && list.lines().get(1).contains("SERVING"), list.out());
    CommandRun drain = run("workers", "drain", "--target", server.target(), "10.0.0.2:50061");
    assertEquals(0, drain.code(), drain.err());
    assertTrue(drain.out().contains("DRAINING"), drain.out());
    assertTrue(imagerec("workers").out().contains("DRAINING"));
    CommandRun undrain = run("workers", "undrain", "--target", server.target(), "10.0.0.2:50061");
    assertEquals(0, undrain.code(), undrain.err());
    assertTrue(undrain.out().contains("SERVING"), undrain.out());
    assertFalse(imagerec("workers").out().contains("DRAINING"));
    CommandRun help = run("workers", "undrain", "--help");
    assertTrue(help.out().contains("Put a drained worker back into rotation") && help.out().contains("ADDRESS"), help.out());
    CommandRun unknown = run("workers", "drain", "--target", server.target(), "nowhere:1");
    assertEquals(5, unknown.code());
    assertTrue(unknown.err().contains("NOT_FOUND"), unknown.err());
  }

  @Test
  void healthExitCodeIsZeroOnlyWhenServing() {
    assertEquals(0, imagerec("health").code());
    server.health.setStatus("imagerec.v1.Recognizer", ServingStatus.NOT_SERVING);
    CommandRun notServing = imagerec("health");
    assertEquals(1, notServing.code());
    assertTrue(notServing.err().contains("NOT_SERVING"), notServing.err());
    CommandRun unreachable = run("health", "--target", "127.0.0.1:1");
    assertEquals(3, unreachable.code());
    assertTrue(unreachable.err().contains("cannot reach 127.0.0.1:1"), unreachable.err());
  }

  @Test
  void modelsListsNameVersionAndLabels() {
    CommandRun run = imagerec("models");
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("fake (default)  version 7"), run.out());
    assertTrue(run.out().contains("cat, dog, T-shirt/top"), run.out());
  }

  @Test
  void tokenIsSentAsABearerHeader() throws Exception {
    Path a = write("a.png", FakeBalancer.image("cat"));
    assertEquals(0, imagerec("recognize", "--token", "s3cret", a.toString()).code());
    assertEquals("Bearer s3cret", server.lastAuthorization.get());
  }

  @Test
  void helpVersionAndCompletion() {
    CommandRun help = run("recognize", "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("Examples:") && help.out().contains("--concurrency"), help.out());
    CommandRun version = run("--version");
    assertTrue(version.out().startsWith("imagerec "), version.out());
    CommandRun completion = run("generate-completion");
    assertEquals(0, completion.code());
    assertTrue(completion.out().contains("complete") && completion.out().contains("recognize"));
    CommandRun none = run();
    assertEquals(2, none.code());
  }
}
