package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A server that cannot start from its configuration, run as a real process: a bad option, a bad
 * environment variable, a port another process has, an address this host does not have (192.0.2.1
 * is kept for documentation, never assigned), a worker with no model that loads. It exits with
 * code 2 (1 for the models, which are not an option's fault) and one line (besides its log) saying
 * what and where, no stack trace.
 */
class BadConfigurationTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "imagerec.worker.WorkerMain, --port",
      "imagerec.worker.WorkerMain, --metrics-port",
      "imagerec.balancer.BalancerMain, --port",
      "imagerec.balancer.BalancerMain, --admin-port",
      "imagerec.balancer.BalancerMain, --http-port",
      "imagerec.balancer.BalancerMain, --metrics-port"})
  void aTakenPortGivesOneLineAndExitCode2(String mainClass, String option) throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      String line = oneLine(2, mainClass, Map.of(option, Integer.toString(port)), Map.of());
      assertTrue(line.contains("127.0.0.1:" + port) && line.contains(option), line);
      assertTrue(line.toLowerCase().contains("already in use"), line);
    }
  }

  /** {@code flags}: "--name value" pairs separated by ";"; {@code variables}: "NAME=value" pairs. */
  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "imagerec.worker.WorkerMain     | --instances many | -                           | --instances;'many' is not an int",
      "imagerec.worker.WorkerMain     | -                | IMAGEREC_QUEUE_CAPACITY=lots | --queue-capacity;'lots';set by IMAGEREC_QUEUE_CAPACITY in the environment",
      "imagerec.worker.WorkerMain     | --frobnicate 1   | -                           | Unknown option;--frobnicate",
      "imagerec.balancer.BalancerMain | --policy fastest | -                           | --policy must be",
      "imagerec.balancer.BalancerMain | -                | IMAGEREC_MAX_ATTEMPTS=0      | --max-attempts;at least 1;set by IMAGEREC_MAX_ATTEMPTS in the environment",
      "imagerec.balancer.BalancerMain | -                | IMAGEREC_LOG_FORMAT=xml      | IMAGEREC_LOG_FORMAT",
      "imagerec.balancer.BalancerMain | --workers localhost:99999 | -                  | --workers 'localhost:99999': port 99999 is not 1 to 65535",
      "imagerec.worker.WorkerMain     | -                | IMAGEREC_REGISTER_WITH=balancer | --register-with 'balancer' is not HOST:PORT;set by IMAGEREC_REGISTER_WITH in the environment",
      "imagerec.balancer.BalancerMain | --admin-host 192.0.2.1 | -                     | cannot listen on 192.0.2.1:;check --admin-host"})
  void aBadOptionOrVariableGivesOneLineSayingWhichAndExitCode2(String mainClass, String flags, String variables,
                                                               String expected) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    if (flags != null) {
      String[] words = flags.split(" ");
      options.put(words[0], words[1]);
    }
    Map<String, String> environment = new LinkedHashMap<>();
    if (variables != null) {
      String[] pair = variables.split("=", 2);
      environment.put(pair[0], pair[1]);
    }
    String line = oneLine(2, mainClass, options, environment);
    for (String part : expected.split(";")) {
      assertTrue(line.contains(part), () -> "'" + part + "' in: " + line);
    }
    boolean fromEnvironment = expected.contains("set by");
    assertEquals(fromEnvironment, line.contains("in the environment"), line);
  }

  @Test
  void aWorkerWithNoModelThatLoadsSaysSoInOneLineAndExitCode1() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty-repository"));
    String line = oneLine(1, "imagerec.worker.WorkerMain", Map.of("--models", empty.toString()), Map.of());
    assertTrue(line.startsWith("imagerec-worker: cannot start: no model could be loaded from " + empty), line);
  }

  /**
   * Runs {@code mainClass} on loopback ports it picks, with {@code options} over those, and
   * {@code environment}; asserts {@code exitCode}, one line from the program and no stack trace;
   * returns that line.
   */
  private String oneLine(int exitCode, String mainClass, Map<String, String> options, Map<String, String> environment)
      throws Exception {
    Map<String, String> all = new LinkedHashMap<>(Map.of("--host", "127.0.0.1", "--port", "0",
        "--metrics-host", "127.0.0.1", "--metrics-port", "0"));
    if (mainClass.contains("Worker")) {
      all.putAll(Map.of("--models", ProcessCluster.ROOT.resolve("models").toString(), "--warmup-ms", "0"));
    } else {
      all.putAll(Map.of("--admin-port", "0", "--http-host", "127.0.0.1", "--http-port", "0"));
    }
    all.putAll(options);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"), mainClass));
    all.forEach((name, value) -> command.addAll(List.of(name, value)));
    Path out = tmp.resolve("out.log");
    Path err = tmp.resolve("err.log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("IMAGEREC_"));
    builder.environment().putAll(environment);
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits");
    String program = mainClass.contains("Worker") ? "imagerec-worker: " : "imagerec-balancer: ";
    String log = read(err) + read(out);
    List<String> said = log.lines().filter(l -> l.startsWith(program)).toList();
    assertEquals(exitCode, process.exitValue(), () -> "exit code; output: " + log);
    assertEquals(1, said.size(), () -> "one line from the program besides its log: " + log);
    assertFalse(log.contains("\tat ") || log.contains("Exception"), () -> "no stack trace: " + log);
    return said.get(0);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
