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
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Network trouble between the balancer and one of two workers, through a {@link TcpProxy}: delayed
 * packets, connections reset again and again, then a stall (a partition that keeps connections
 * open). No call hangs, resets cost no call (retried on the other worker), only a stall's calls
 * end at their deadline, traffic comes back when the network does, and the balancer holds no more
 * threads or sockets afterwards than before.
 */
class NetworkFaultTest {

  @Test
  void delaysResetsAndStallsCostNoHangNoLeakAndOnlyStalledCalls() throws Exception {
    try (ProcessCluster cluster = new ProcessCluster("network-faults")) {
      ProcessCluster.Node direct = cluster.startWorker("worker-0");
      ProcessCluster.Node behind = cluster.startWorker("worker-1");
      try (TcpProxy proxy = new TcpProxy(behind.port())) {
        ProcessCluster.Node balancer = cluster.startBalancer("--workers", direct.address() + "," + proxy.address(),
            "--ejection-ms", "2000");
        ProcessCluster.awaitServing(balancer, 60);
        ManagedChannel channel = cluster.channelToBalancer();
        RecognizeRequest request = RecognizeRequest.newBuilder()
            .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
        LoadRun load = new LoadGenerator(List.of(request)).keepingCalls().startClosedLoop(new UnarySender(RecognizerGrpc.newStub(channel), Duration.ofSeconds(2)), 8);
        Figures.hold(2);
        ProcessStats before = ProcessStats.of(balancer.process());

        long delayFrom = System.nanoTime();
        proxy.delay(50);
        Figures.hold(3);
        long resetFrom = System.nanoTime();
        proxy.pass();
        long resetsUntil = System.nanoTime() + Figures.seconds(3).toNanos();
        int resets = 0;
        while (System.nanoTime() < resetsUntil) {
          proxy.resetAll();
          resets++;
          Thread.sleep(300);
        }
        long stallFrom = System.nanoTime();
        proxy.stall();
        Figures.hold(4);
        long stallUntil = System.nanoTime();
        proxy.pass();
        long evenAt = WorkerFailureTest.awaitEven(load, stallUntil, "worker-1", 20);
        Figures.hold(1);
        load.stop(Duration.ofSeconds(30));
        channel.shutdownNow();
        Thread.sleep(1000);
        ProcessStats after = ProcessStats.of(balancer.process());

        Map<String, Long> beforeStall = load.errors(delayFrom, stallFrom);
        Map<String, Long> inStall = load.errors(stallFrom, stallUntil + Duration.ofSeconds(3).toNanos());
        Map<String, Long> delayed = load.byWorker(delayFrom + Duration.ofSeconds(1).toNanos(), resetFrom, o -> true);
        Figures.report("network faults", "8 unary calls in flight, 2 s deadline",
            "proxy to 1 of 2 workers: 50 ms delay " + Figures.seconds(3).toSeconds() + " s, " + resets
                + " resets of all its connections, stall " + Figures.seconds(4).toSeconds() + " s",
            load.sent(), load.ok(), load.errors(), load.outstanding(),
            "even share " + (evenAt < 0 ? "never" : Figures.ms(evenAt - stallUntil) + " after the stall")
                + "; balancer before " + before + ", after " + after);
        System.out.println("answers during the delay: " + delayed);

        assertEquals(0, load.outstanding(), "calls never completed");
        assertEquals(Map.of(), beforeStall, "delays and resets must cost no call: " + load.examples());
        assertTrue(Set.of("DEADLINE_EXCEEDED", "UNAVAILABLE").containsAll(inStall.keySet()),
            "a stall ends calls at their deadline: " + inStall);
        assertTrue(delayed.getOrDefault("worker-0", 0L) > delayed.getOrDefault("worker-1", 0L),
            "routing sends less to the delayed worker: " + delayed);
        assertTrue(evenAt > 0, "traffic came back after the stall");
        assertTrue(after.threads() <= before.threads() + 4, "threads: " + before + " -> " + after);
        assertTrue(after.fds() <= before.fds() + 8, "file descriptors: " + before + " -> " + after);
      }
    }
  }
}
