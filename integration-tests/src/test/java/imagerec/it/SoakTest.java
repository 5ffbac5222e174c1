package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.cli.bench.LoadGenerator;
import imagerec.cli.bench.LoadRun;
import imagerec.cli.bench.UnarySender;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Steady load through the balancer for a while (20 s in CI, minutes in the long suite), sampling
 * every process: resident memory stays flat and threads and file descriptors do not grow.
 */
class SoakTest {

  @Test
  void steadyLoadKeepsMemoryThreadsAndFileHandlesFlat() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("soak", 2)) {
      ManagedChannel channel = cluster.channelToBalancer();
      RecognizeRequest request = RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
      List<ProcessCluster.Node> nodes = new ArrayList<>(cluster.workers());
      nodes.add(0, cluster.balancer());
      LoadRun load = new LoadGenerator(List.of(request)).keepingCalls().startClosedLoop(new UnarySender(RecognizerGrpc.newStub(channel), Duration.ofSeconds(10)), 8);
      Duration length = Figures.seconds(20);
      long warmUntil = System.nanoTime() + length.toNanos() / 4;
      long until = System.nanoTime() + length.toNanos();
      List<List<ProcessStats>> samples = new ArrayList<>();
      List<ProcessStats> warm = null;
      while (System.nanoTime() < until) {
        List<ProcessStats> now = new ArrayList<>();
        for (ProcessCluster.Node n : nodes) {
          now.add(ProcessStats.of(n.process()));
        }
        samples.add(now);
        if (warm == null && System.nanoTime() > warmUntil) {
          warm = now; // after a quarter of the run: JIT, pools and heap have settled
        }
        Thread.sleep(1000);
      }
      load.stop(Duration.ofSeconds(30));
      channel.shutdownNow();
      List<ProcessStats> end = samples.get(samples.size() - 1);

      StringBuilder figures = new StringBuilder();
      for (int i = 0; i < nodes.size(); i++) {
        figures.append(i == 0 ? "" : "; ").append(nodes.get(i).name()).append(" ").append(warm.get(i))
            .append(" -> ").append(end.get(i));
      }
      Figures.report("soak", "8 unary calls in flight for " + length.toSeconds() + " s", "-", load.sent(), load.ok(),
          load.errors(), load.outstanding(), "from a quarter in to the end: " + figures);
      assertEquals(Map.of(), load.errors());
      assertEquals(0, load.outstanding());
      for (int i = 0; i < nodes.size(); i++) {
        ProcessStats from = warm.get(i);
        ProcessStats to = end.get(i);
        String who = nodes.get(i).name() + ": " + from + " -> " + to;
        assertTrue(to.threads() <= from.threads() + 4, "threads grew, " + who);
        assertTrue(to.fds() <= from.fds() + 8, "file descriptors grew, " + who);
        assertTrue(to.rssKib() <= from.rssKib() * 1.25 + 32 * 1024, "memory grew, " + who);
      }
    }
  }
}
