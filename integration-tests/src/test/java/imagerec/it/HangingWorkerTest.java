package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.cli.bench.LoadGenerator;
import imagerec.cli.bench.LoadRun;
import imagerec.cli.bench.UnarySender;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.WorkerStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker that hangs (SIGSTOP: its sockets stay open, the kernel still accepts connections, and it
 * answers nothing): the calls sent to it end at their deadline, it is ejected after a few
 * failures, the others carry the load, and it comes back once it runs again (SIGCONT).
 */
class HangingWorkerTest {

  @Test
  void deadlinesFireTheHungWorkerIsEjectedAndTheOthersCarryOn() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("hanging-worker", 3, Map.of(), "--ejection-ms", "3000")) {
      ManagedChannel channel = cluster.channelToBalancer();
      ManagedChannel admin = ManagedChannelBuilder.forTarget(cluster.adminAddress()).usePlaintext().build();
      RecognizeRequest request = RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
      ProcessCluster.Node hung = cluster.workers().get(1);
      LoadRun load = new LoadGenerator(List.of(request)).keepingCalls().startClosedLoop(new UnarySender(RecognizerGrpc.newStub(channel), Duration.ofSeconds(1)), 8);
      long thawedAt;
      long frozenAt;
      boolean ejected = false;
      try {
        Figures.hold(2);
        frozenAt = System.nanoTime();
        ProcessCluster.freeze(hung);
        long until = System.nanoTime() + Figures.seconds(8).toNanos();
        while (System.nanoTime() < until) {
          ejected |= BalancerAdminGrpc.newBlockingStub(admin).withDeadlineAfter(2, TimeUnit.SECONDS)
              .listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList().stream()
              .anyMatch(w -> w.getAddress().equals(hung.address()) && w.getState() == WorkerStatus.State.EJECTED);
          Thread.sleep(200);
        }
        thawedAt = System.nanoTime();
        ProcessCluster.thaw(hung);
      } catch (Exception | Error e) {
        ProcessCluster.thaw(hung);
        throw e;
      }
      long evenAt = WorkerFailureTest.awaitEven(load, thawedAt, "worker-1", 20);
      load.stop(Duration.ofSeconds(30));
      channel.shutdownNow();
      admin.shutdownNow();

      long lastFailure = load.calls().stream().filter(o -> !o.ok())
          .mapToLong(LoadRun.Call::at).max().orElse(frozenAt);
      long lastTwoSecondsFrozen = thawedAt - TimeUnit.SECONDS.toNanos(2);
      Map<String, Long> lateFailures = load.byWorker(lastTwoSecondsFrozen, thawedAt, o -> !o.ok());
      Figures.report("hung worker", "8 unary calls in flight, 1 s deadline",
          "SIGSTOP 1 of 3 workers for " + Figures.seconds(8).toSeconds() + " s, then SIGCONT",
          load.sent(), load.ok(), load.errors(), load.outstanding(),
          "last failure " + Figures.ms(lastFailure - frozenAt) + " after the freeze; even share again "
              + (evenAt < 0 ? "never" : Figures.ms(evenAt - thawedAt) + " after SIGCONT"));
      assertEquals(0, load.outstanding(), "calls never completed");
      assertEquals(Set.of("DEADLINE_EXCEEDED"), load.errors().keySet(), "only deadlines fire: " + load.errors());
      assertTrue(load.errors().get("DEADLINE_EXCEEDED") < load.ok() / 10,
          "most calls went to the others: " + load.errors() + " failed, " + load.ok() + " ok");
      assertTrue(ejected, "the hung worker was ejected");
      assertTrue(evenAt > 0, "the worker got its share back after SIGCONT");
      assertTrue(lateFailures.isEmpty() || lateFailures.values().stream().mapToLong(Long::longValue).sum() <= 16,
          "failures kept coming while it was ejected: " + lateFailures);
    }
  }
}
