package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.testing.Await;
import imagerec.testing.StreamCollector;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.WorkerStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The balancer with real worker processes: self-registration, and a worker killed in the middle of a stream. */
class BalancerFailureTest {

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(30), Duration.ofMillis(50), what);
  }

  private static List<WorkerStatus> workers(ManagedChannel channel) {
    return BalancerAdminGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList();
  }

  @Test
  void aWorkerStartedWithRegisterWithJoinsAndLeavesOnSigterm() throws Exception {
    try (ProcessCluster cluster = new ProcessCluster("registration")) {
      ProcessCluster.Node balancer = cluster.startBalancer();
      ProcessCluster.Node real = cluster.startWorker("registered-1", "--register-with", cluster.adminAddress());
      ManagedChannel channel = cluster.channelToBalancer();
      ManagedChannel admin = ManagedChannelBuilder.forTarget(cluster.adminAddress()).usePlaintext().build();
      try {
        assertEquals(Status.Code.UNIMPLEMENTED, org.junit.jupiter.api.Assertions.assertThrows(
            StatusRuntimeException.class, () -> workers(channel)).getStatus().getCode(),
            "the admin services are on the admin port only");
        await(() -> workers(admin).stream().anyMatch(w -> w.getState() == WorkerStatus.State.SERVING),
            "the registered worker is SERVING at the balancer");
        WorkerStatus status = workers(admin).stream().filter(w -> w.getState() == WorkerStatus.State.SERVING)
            .findFirst().orElseThrow();
        assertEquals("registered", status.getSource());
        assertEquals(List.of("fashion-mnist"), status.getModelsList());
        assertTrue(status.getAddress().endsWith(":" + real.port()), status.getAddress());
        RecognizeResponse r = RecognizerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .recognize(RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(
                Files.readAllBytes(EndToEndTest.samples().get(0)))).build());
        assertEquals("registered-1", r.getWorker());

        assertEquals(143, ProcessCluster.stop(real), "the JVM's exit status after SIGTERM");
        assertTrue(Files.readString(cluster.logDir().resolve("registered-1.log")).contains("worker registered-1 stopped"),
            "the shutdown hook ran to the end");
        await(() -> workers(admin).stream().noneMatch(w -> w.getAddress().endsWith(":" + real.port())),
            "the worker left the balancer when it stopped");
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> RecognizerGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .recognize(RecognizeRequest.newBuilder().build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      } finally {
        channel.shutdownNow();
        admin.shutdownNow();
      }
    }
  }

  @Test
  void aWorkerKilledDuringAStreamCostsNoItemAndNoHang() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("stream-kill", 3)) {
      ManagedChannel channel = cluster.channelToBalancer();
      ByteString image = ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)));
      int n = 3000;
      StreamCollector responses = new StreamCollector();
      StreamObserver<RecognizeRequest> requests = RecognizerGrpc.newStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS)
          .recognizeStream(responses);
      Thread killer = new Thread(() -> {
        try {
          while (responses.answered() < n / 3) {
            Thread.sleep(5);
          }
          ProcessCluster.kill(cluster.workers().get(1));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      killer.start();
      for (int i = 0; i < n; i++) {
        requests.onNext(RecognizeRequest.newBuilder().setRequestId("item-" + i).setImage(image).build());
      }
      requests.onCompleted();
      assertTrue(responses.await(Duration.ofSeconds(120)), "the stream hung after a worker was killed");
      Map<String, RecognizeResponse> results = responses.byRequestId();
      killer.join(10_000);
      channel.shutdownNow();
      Map<Status.Code, Long> itemErrors = new java.util.EnumMap<>(Status.Code.class);
      results.values().stream().filter(RecognizeResponse::hasError)
          .forEach(r -> itemErrors.merge(Status.fromCodeValue(r.getError().getCode()).getCode(), 1L, Long::sum));
      Figures.report("worker killed during a stream", "one RecognizeStream of " + n + " items",
          "SIGKILL 1 of 3 workers a third of the way", n, results.size() - itemErrors.values().stream()
              .mapToLong(Long::longValue).sum(), itemErrors, n - results.size(), "-");
      assertNull(responses.failure(), "the stream itself must not fail");
      assertEquals(0, responses.duplicates());
      assertEquals(n, results.size(), "every item gets exactly one response");
      long failed = results.values().stream().filter(RecognizeResponse::hasError).count();
      assertTrue(results.values().stream().filter(RecognizeResponse::hasError)
          .allMatch(r -> r.getError().getCode() == Status.Code.UNAVAILABLE.value()), "only UNAVAILABLE item errors");
      assertTrue(failed < 20, failed + " items failed; in-flight items on the killed worker are retried");
      assertTrue(results.values().stream().anyMatch(r -> r.getWorker().equals("worker-1")), "the victim served before");
    }
  }
}
