package imagerec.worker.grpc;

import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
import imagerec.server.ServerConfig;
import imagerec.worker.WorkerConfig;
import imagerec.worker.WorkerServer;
import imagerec.worker.image.DecodeConfig;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.model.RepositoryConfig;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real worker over the bundled models on an in-process transport, and a channel to it, for the
 * service tests: two inference threads, batches of up to 8, metrics on a free port.
 */
record InProcessWorker(WorkerServer server, ManagedChannel channel) implements AutoCloseable {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /**
   * @param maxBatchDelay how long a batch waits for more images
   * @param accessLog whether the worker writes its access log
   */
  static InProcessWorker start(String workerName, Duration maxBatchDelay, boolean accessLog) throws Exception {
    String name = InProcessServerBuilder.generateName();
    WorkerConfig config = new WorkerConfig(
        ServerConfig.ephemeral("localhost", new ConnectionLimits(16 << 20, 100, Duration.ZERO, Duration.ofMinutes(1)))
            .withShutdownGrace(Duration.ofSeconds(5)).withMetrics(new MetricsConfig("127.0.0.1", 0, null))
            .withAccessLog(accessLog),
        workerName, RepositoryConfig.of(ROOT.resolve("models")), new BatchingConfig(2, 8, maxBatchDelay, 64),
        new DecodeConfig(2, 64, 4096L * 4096), 1, null, null, null);
    System.setProperty("ai.djl.offline", "true");
    WorkerServer server = WorkerServer.start(config, InProcessServerBuilder.forName(name));
    return new InProcessWorker(server, InProcessChannelBuilder.forName(name).build());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}
