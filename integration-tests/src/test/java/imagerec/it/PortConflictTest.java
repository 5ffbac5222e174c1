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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every port a server binds, when another process has it: the server exits with code 2 and one line
 * (besides its log) naming the address and the option that sets it, no stack trace.
 */
class PortConflictTest {
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
      Map<String, String> options = new LinkedHashMap<>(Map.of("--host", "127.0.0.1", "--port", "0",
          "--metrics-host", "127.0.0.1", "--metrics-port", "0"));
      if (mainClass.contains("Worker")) {
        options.putAll(Map.of("--models", ProcessCluster.ROOT.resolve("models").toString(), "--warmup-ms", "0"));
      } else {
        options.putAll(Map.of("--admin-port", "0", "--http-host", "127.0.0.1", "--http-port", "0"));
      }
      options.put(option, Integer.toString(port));
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-Dai.djl.offline=true",
          "-cp", System.getProperty("java.class.path"), mainClass));
      options.forEach((name, value) -> command.addAll(List.of(name, value)));
      Path out = tmp.resolve("out.log");
      Path err = tmp.resolve("err.log");
      Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits");
      String program = mainClass.contains("Worker") ? "imagerec-worker: " : "imagerec-balancer: ";
      String log = read(err) + read(out);
      List<String> said = log.lines().filter(l -> l.startsWith(program)).toList();
      assertEquals(2, process.exitValue(), () -> "exit code; output: " + log);
      assertEquals(1, said.size(), () -> "one line from the program besides its log: " + log);
      String line = said.get(0);
      assertTrue(line.contains("127.0.0.1:" + port) && line.contains(option), line);
      assertTrue(line.toLowerCase().contains("already in use"), line);
      assertFalse(log.contains("\tat ") || log.contains("Exception"), () -> "no stack trace: " + log);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
