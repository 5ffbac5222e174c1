package imagerec.bench;

import imagerec.testing.ListeningProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A worker or balancer started through its launcher in {@code bin/} (so with the JVM options users
 * get), listening on a free loopback port it reports through a port file; its CPU time and
 * resident memory are read from {@code /proc}. Closing it stops it with SIGTERM.
 */
record LocalProcess(String name, Process process, int port) implements AutoCloseable {
  private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

  /**
   * Runs {@code launcher} (a script that execs java) with {@code args} plus --port 0 --port-file,
   * and waits until it listens.
   */
  static LocalProcess start(String name, Path logDir, Path launcher, List<String> args)
      throws IOException, InterruptedException {
    Path portFile = logDir.resolve(name + ".port");
    List<String> command = new ArrayList<>(List.of(launcher.toString(),
        "--host", "127.0.0.1", "--port", "0", "--port-file", portFile.toString(), "--metrics-port", "-1"));
    command.addAll(args);
    ListeningProcess started = ListeningProcess.start(command, Map.of(), logDir.resolve(name + ".log"), portFile,
        Duration.ofSeconds(180));
    return new LocalProcess(name, started.process(), started.port());
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  /** User plus system CPU time of the process so far, in nanoseconds. */
  long cpuNanos() throws IOException {
    String[] fields = statFields();
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
    return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
  }

  /**
   * Minor page faults of the process so far: pages the kernel had to map (and zero) on first touch,
   * as after an allocator returned them.
   */
  long minorFaults() throws IOException {
    return Long.parseLong(statFields()[7]); // minflt
  }

  /** The fields of {@code /proc/PID/stat} after the command name, from the state on (field 3). */
  private String[] statFields() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  /** Resident set size, in MiB. */
  double rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return -1;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return name + "@" + address();
  }
}
