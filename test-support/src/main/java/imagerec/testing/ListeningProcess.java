package imagerec.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A server started as a real process that reports the port it listens on through a port file
 * ({@code --port 0 --port-file FILE}), its standard output and error going to one log file.
 *
 * @param process the running process
 * @param port the port it wrote to its port file
 */
public record ListeningProcess(Process process, int port) {

  /**
   * Starts {@code command} with {@code env} added to this process's environment and waits, at most
   * {@code timeout}, until it has written a port to {@code portFile}. Fails, naming {@code log},
   * if the process exits or times out first; a process that times out is killed.
   */
  public static ListeningProcess start(List<String> command, Map<String, String> env, Path log, Path portFile,
                                       Duration timeout) throws IOException, InterruptedException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    Files.deleteIfExists(portFile);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    long until = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(command.get(0) + " exited with " + process.exitValue() + "; see " + log);
      }
      if (System.nanoTime() > until) {
        process.destroyForcibly();
        throw new IllegalStateException(command.get(0) + " did not start listening in " + timeout.toSeconds()
            + " s; see " + log);
      }
      Thread.sleep(20);
    }
    return new ListeningProcess(process, readPort(portFile));
  }

  /** The port a server wrote to {@code file}. */
  public static int readPort(Path file) throws IOException {
    return Integer.parseInt(Files.readString(file).strip());
  }
}
