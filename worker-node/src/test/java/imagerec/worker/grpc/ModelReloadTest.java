package imagerec.worker.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import imagerec.server.ServerConfig;
import imagerec.testing.Await;
import imagerec.v1.GetModelRequest;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import imagerec.worker.WorkerConfig;
import imagerec.worker.WorkerServer;
import imagerec.worker.image.DecodeConfig;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.model.RepositoryConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A running worker picks up added, broken and removed model folders without a restart (real DJL models). */
class ModelReloadTest {
  @TempDir
  Path repo;

  private static void copyDir(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(30), Duration.ofMillis(50), what);
  }

  @Test
  void addedBrokenAndRemovedFoldersAreHandledWhileServing() throws Exception {
    Path source = WorkerServiceTest.ROOT.resolve("models/fashion-mnist");
    copyDir(source, repo.resolve("fashion-mnist"));
    String name = InProcessServerBuilder.generateName();
    WorkerConfig config = new WorkerConfig(
        ServerConfig.ephemeral("localhost",
                new imagerec.security.ConnectionLimits(1 << 20, 100, Duration.ZERO, Duration.ofMinutes(1)))
            .withShutdownGrace(Duration.ofSeconds(2)),
        "reload-worker", new RepositoryConfig(repo, null, null, Duration.ofMillis(100), Duration.ZERO),
        new BatchingConfig(1, 4, Duration.ZERO, 16), new DecodeConfig(1, 16, 1 << 20), 1, null, null, null);
    System.setProperty("ai.djl.offline", "true");
    try (WorkerServer worker = WorkerServer.start(config, InProcessServerBuilder.forName(name))) {
      ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
      RecognizerGrpc.RecognizerBlockingStub stub = RecognizerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      ByteString bag = ByteString.copyFrom(Files.readAllBytes(WorkerServiceTest.ROOT.resolve("samples/bag/0.png")));

      Path second = repo.resolve("second");
      copyDir(source, second);
      Files.writeString(second.resolve("model.json"),
          Files.readString(second.resolve("model.json")).replace("\"name\": \"fashion-mnist\"", "\"name\": \"second\""));
      await(() -> names(stub).contains("second"), "the added model is listed");
      assertEquals("Bag", stub.recognize(RecognizeRequest.newBuilder().setModel("second").setImage(bag).build())
          .getClassifications(0).getLabel());

      Files.createDirectories(repo.resolve("broken"));
      Files.writeString(repo.resolve("broken/model.json"), "{ this is not json");
      Thread.sleep(500); // several scans
      assertEquals(List.of("fashion-mnist", "second"), names(stub));
      assertEquals("Bag", stub.recognize(RecognizeRequest.newBuilder().setImage(bag).build())
          .getClassifications(0).getLabel());

      try (Stream<Path> files = Files.walk(second)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      await(() -> !names(stub).contains("second"), "the removed model is gone");
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.getModel(GetModelRequest.newBuilder().setName("second").build()));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
      channel.shutdownNow();
    }
  }

  private static List<String> names(RecognizerGrpc.RecognizerBlockingStub stub) {
    return stub.listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
        .map(m -> m.getName()).toList();
  }
}
