package imagerec.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a process holds, read from Linux's /proc: resident memory, threads and open file
 * descriptors (sockets included), for the leak checks of the soak and fault tests.
 */
record ProcessStats(long rssKib, int threads, int fds) {

  static ProcessStats of(Process process) throws IOException {
    long pid = process.pid();
    long rss = -1;
    int threads = -1;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
      } else if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
      }
    }
    int fds;
    try (Stream<Path> open = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      fds = (int) open.count();
    }
    return new ProcessStats(rss, threads, fds);
  }

  @Override
  public String toString() {
    return (rssKib / 1024) + " MiB RSS, " + threads + " threads, " + fds + " fds";
  }
}
