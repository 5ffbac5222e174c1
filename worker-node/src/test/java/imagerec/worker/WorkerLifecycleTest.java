package imagerec.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
import imagerec.security.TlsConfig;
import imagerec.server.PortBindException;
import imagerec.server.ServerConfig;
import imagerec.testing.Ports;
import imagerec.worker.image.DecodeConfig;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.model.RepositoryConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A worker on real ports: constructing opens nothing, and a start that fails closes what it opened. */
class WorkerLifecycleTest {
  private static final Path MODELS = Path.of("..").toAbsolutePath().normalize().resolve("models");

  private static WorkerConfig config(int port, int metricsPort) {
    return new WorkerConfig(
        new ServerConfig("127.0.0.1", port, null, Duration.ZERO, 1L << 30,
            new ConnectionLimits(1 << 20, 100, Duration.ZERO, Duration.ofMinutes(1)),
            new MetricsConfig("127.0.0.1", metricsPort, null), false, TlsConfig.OFF, null, true),
        "lifecycle", RepositoryConfig.of(MODELS), new BatchingConfig(1, 1, Duration.ZERO, 4), new DecodeConfig(1, 4, 1 << 20),
        1, null, null, null);
  }

  @Test
  void creatingBindsNothing() throws Exception {
    int port = Ports.free();
    WorkerServer worker = WorkerServer.create(config(port, -1));
    try {
      Ports.listen(port).close();
    } finally {
      worker.close();
    }
  }

  @Test
  void aTakenMetricsPortClosesTheGrpcPortAlreadyListening() throws Exception {
    try (ServerSocket taken = Ports.listen(0)) {
      int port = Ports.free();
      WorkerServer worker = WorkerServer.create(config(port, taken.getLocalPort()));
      PortBindException e = assertThrows(PortBindException.class, worker::start);
      assertEquals("--metrics-port", e.option());
      Ports.listen(port).close(); // nothing listens on the gRPC port any more
    }
  }

  @Test
  void aTakenGrpcPortIsNamed() throws Exception {
    try (ServerSocket taken = Ports.listen(0)) {
      WorkerServer worker = WorkerServer.create(config(taken.getLocalPort(), -1));
      assertEquals("--port", assertThrows(PortBindException.class, worker::start).option());
    }
  }

}
