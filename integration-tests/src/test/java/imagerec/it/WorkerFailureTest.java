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
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker process killed (SIGKILL) or stopped (SIGTERM) under steady load: the balancer routes
 * around it and no call fails; once it is started again, traffic is back to even within seconds.
 */
class WorkerFailureTest {

  @Test
  void killingAWorkerUnderLoadLosesNoCallAndTrafficIsEvenAgainAfterItsRestart() throws Exception {
    underLoadWhile("worker-failure", "SIGKILL 1 of 3 workers, restart it", ProcessCluster::kill);
  }

  @Test
  void stoppingAWorkerGracefullyUnderLoadLosesNoCallAndItSaysNotServingFirst() throws Exception {
    List<ServingStatus> seen = new CopyOnWriteArrayList<>();
    underLoadWhile("worker-sigterm", "SIGTERM 1 of 3 workers, restart it", node -> {
      ManagedChannel health = ManagedChannelBuilder.forTarget(node.address()).usePlaintext().build();
      HealthGrpc.newStub(health).watch(HealthCheckRequest.newBuilder().setService(ProcessCluster.RECOGNIZER).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse r) {
              seen.add(r.getStatus());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      Thread.sleep(300);
      assertEquals(143, ProcessCluster.stop(node), "exit status after SIGTERM, once in-flight calls finished");
      health.shutdownNow();
    });
    assertEquals(List.of(ServingStatus.SERVING, ServingStatus.NOT_SERVING), seen,
        "the worker said NOT_SERVING before it went away");
  }

  /** What is done to worker-1 while calls go through the balancer. */
  private interface Fault {
    void apply(ProcessCluster.Node worker) throws InterruptedException;
  }

  private static void underLoadWhile(String name, String faults, Fault fault) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(name, 3)) {
      ManagedChannel channel = cluster.channelToBalancer();
      RecognizeRequest request = RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
      LoadRun load = new LoadGenerator(List.of(request)).keepingCalls().startClosedLoop(new UnarySender(RecognizerGrpc.newStub(channel), Duration.ofSeconds(10)), 8);
      Figures.hold(2);
      long faultAt = System.nanoTime();
      fault.apply(cluster.workers().get(1));
      Figures.hold(3);
      long restartAt = System.nanoTime();
      cluster.restart(cluster.workers().get(1));
      long servingAt = System.nanoTime();
      long evenAt = awaitEven(load, servingAt, "worker-1", 15);
      Figures.hold(1);
      load.stop(Duration.ofSeconds(30));
      channel.shutdownNow();

      Map<String, Long> before = load.byWorker(load.startedAt(), faultAt, o -> true);
      Map<String, Long> during = load.byWorker(faultAt + TimeUnit.SECONDS.toNanos(1), restartAt, o -> true);
      String recovery = "worker SERVING " + Figures.ms(servingAt - restartAt) + " after its restart; even share "
          + (evenAt < 0 ? "never" : Figures.ms(evenAt - servingAt) + " later");
      Figures.report(faults, "8 unary calls in flight", faults, load.sent(), load.ok(), load.errors(), load.outstanding(),
          recovery);
      assertEquals(Map.of(), load.errors(), "calls failed when a worker was stopped");
      assertEquals(0, load.outstanding(), "calls never completed");
      assertEquals(3, before.size(), "all three workers served before the fault: " + before);
      assertEquals(List.of("worker-0", "worker-2"), List.copyOf(during.keySet()),
          "while it was down only the survivors answered: " + during);
      assertTrue(during.values().stream().mapToLong(Long::longValue).sum() > 20, "too little traffic after the fault");
      assertTrue(evenAt > 0, "traffic did not come back to the restarted worker: "
          + load.byWorker(servingAt, System.nanoTime(), o -> true));
    }
  }

  /**
   * Waits (up to {@code seconds}) for the first half-second window after {@code from} in which
   * {@code worker} answered at least a fifth of the calls (an even share is a third), and returns
   * its end (nanoTime), or -1.
   */
  static long awaitEven(LoadRun load, long from, String worker, int seconds) throws InterruptedException {
    long window = TimeUnit.MILLISECONDS.toNanos(500);
    long until = from + TimeUnit.SECONDS.toNanos(seconds);
    for (long start = from; start < until; start += window / 5) {
      while (System.nanoTime() < start + window) {
        Thread.sleep(20);
      }
      Map<String, Long> counts = load.byWorker(start, start + window, o -> o.ok());
      long total = counts.values().stream().mapToLong(Long::longValue).sum();
      if (total >= 10 && counts.getOrDefault(worker, 0L) * 5 >= total) {
        return start + window;
      }
    }
    return -1;
  }
}
