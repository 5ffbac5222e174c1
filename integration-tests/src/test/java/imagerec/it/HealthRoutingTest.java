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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A running worker's health turns NOT_SERVING (its drain file appears) and SERVING again (the file
 * is removed): the balancer stops sending it calls at once, without a failed call, and sends it
 * its share again as soon as it is SERVING.
 */
class HealthRoutingTest {

  @Test
  void aWorkerThatTurnsNotServingGetsNoCallsUntilItIsServingAgain() throws Exception {
    try (ProcessCluster cluster = new ProcessCluster("health-routing")) {
      Path drain = cluster.logDir().resolve("drain-worker-1");
      ProcessCluster.Node w0 = cluster.startWorker("worker-0");
      ProcessCluster.Node w1 = cluster.startWorker("worker-1", "--drain-file", drain.toString());
      ProcessCluster.Node w2 = cluster.startWorker("worker-2");
      ProcessCluster.Node balancer = cluster.startBalancer("--workers",
          w0.address() + "," + w1.address() + "," + w2.address());
      ProcessCluster.awaitServing(balancer, 60);
      AtomicLong notServingAt = new AtomicLong();
      AtomicLong servingAgainAt = new AtomicLong();
      ManagedChannel health = ManagedChannelBuilder.forTarget(w1.address()).usePlaintext().build();
      HealthGrpc.newStub(health).watch(HealthCheckRequest.newBuilder().setService(ProcessCluster.RECOGNIZER).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse r) {
              if (r.getStatus() == ServingStatus.NOT_SERVING) {
                notServingAt.compareAndSet(0, System.nanoTime());
              } else if (r.getStatus() == ServingStatus.SERVING && notServingAt.get() != 0) {
                servingAgainAt.compareAndSet(0, System.nanoTime());
              }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      ManagedChannel channel = cluster.channelToBalancer();
      RecognizeRequest request = RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
      LoadRun load = new LoadGenerator(List.of(request)).keepingCalls().startClosedLoop(new UnarySender(RecognizerGrpc.newStub(channel), Duration.ofSeconds(10)), 8);
      Figures.hold(2);
      Files.writeString(drain, "maintenance");
      Figures.hold(3);
      Files.delete(drain);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (servingAgainAt.get() == 0 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      long evenAt = WorkerFailureTest.awaitEven(load, servingAgainAt.get(), "worker-1", 10);
      load.stop(Duration.ofSeconds(30));
      channel.shutdownNow();
      health.shutdownNow();

      assertTrue(notServingAt.get() > 0 && servingAgainAt.get() > 0, "the worker went NOT_SERVING and back");
      // calls already at worker-1 when it said NOT_SERVING finish; none may start there afterwards
      long settled = notServingAt.get() + TimeUnit.MILLISECONDS.toNanos(100);
      Map<String, Long> whileNotServing = load.byWorker(settled, servingAgainAt.get(), o -> true);
      Figures.report("worker NOT_SERVING and back", "8 unary calls in flight, 3 workers",
          "drain file on 1 worker for " + Figures.seconds(3).toSeconds() + " s", load.sent(), load.ok(),
          load.errors(), load.outstanding(), "even share " + (evenAt < 0 ? "never" : Figures.ms(evenAt - servingAgainAt.get())
              + " after SERVING"));
      assertEquals(Map.of(), load.errors(), "draining costs no call");
      assertEquals(0, load.outstanding());
      assertEquals(0L, whileNotServing.getOrDefault("worker-1", 0L),
          "calls reached the worker while it was NOT_SERVING: " + whileNotServing);
      assertTrue(whileNotServing.getOrDefault("worker-0", 0L) > 20 && whileNotServing.getOrDefault("worker-2", 0L) > 20,
          "the others carried the load: " + whileNotServing);
      assertTrue(evenAt > 0, "the worker got its share back once SERVING");
    }
  }
}
