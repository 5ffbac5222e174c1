package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A worker process killed (SIGKILL) or stopped (SIGTERM) under load: the balancer routes around it and no call fails. */
class WorkerFailureTest {

  @Test
  void killingAWorkerUnderLoadLosesNoCallAndTrafficGoesOnToTheOthers() throws Exception {
    underLoadWhile("worker-failure", ProcessCluster::kill);
  }

  @Test
  void stoppingAWorkerGracefullyUnderLoadLosesNoCall() throws Exception {
    underLoadWhile("worker-sigterm", node -> ProcessCluster.stop(node));
  }

  /** What is done to worker-1 while four threads send unary calls through the balancer. */
  private interface Fault {
    void apply(ProcessCluster.Node worker) throws InterruptedException;
  }

  private static void underLoadWhile(String name, Fault fault) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(name, 3)) {
      ManagedChannel channel = cluster.channelToBalancer();
      RecognizerGrpc.RecognizerBlockingStub stub = RecognizerGrpc.newBlockingStub(channel);
      RecognizeRequest request = RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
      Map<String, AtomicInteger> before = new ConcurrentHashMap<>();
      Map<String, AtomicInteger> after = new ConcurrentHashMap<>();
      AtomicBoolean killed = new AtomicBoolean();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger failures = new AtomicInteger();
      AtomicLong lastFailure = new AtomicLong();
      ExecutorService load = Executors.newFixedThreadPool(4);
      for (int t = 0; t < 4; t++) {
        load.execute(() -> {
          while (running.get()) {
            boolean wasKilled = killed.get(); // read before the call: it was sent after the kill
            try {
              String worker = stub.withDeadlineAfter(10, TimeUnit.SECONDS).recognize(request).getWorker();
              (wasKilled ? after : before).computeIfAbsent(worker, w -> new AtomicInteger()).incrementAndGet();
            } catch (StatusRuntimeException e) {
              failures.incrementAndGet();
              lastFailure.set(System.nanoTime());
            }
          }
        });
      }
      Thread.sleep(2000);
      ProcessCluster.Node victim = cluster.workers().get(1);
      fault.apply(victim);
      killed.set(true);
      Thread.sleep(3000);
      running.set(false);
      load.shutdown();
      assertTrue(load.awaitTermination(30, TimeUnit.SECONDS));
      channel.shutdownNow();

      assertEquals(0, failures.get(), "calls failed when a worker was stopped");
      assertEquals(3, before.size(), "all three workers served before the kill: " + before);
      assertEquals(List.of("worker-0", "worker-2"), after.keySet().stream().sorted().toList(),
          "after the kill only the survivors may answer: " + after);
      assertTrue(after.values().stream().mapToInt(AtomicInteger::get).sum() > 20, "too little traffic after the kill");
    }
  }
}
