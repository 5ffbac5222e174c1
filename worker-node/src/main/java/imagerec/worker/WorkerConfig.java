package imagerec.worker;

import imagerec.server.ServerConfig;
import imagerec.worker.image.DecodeConfig;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.inference.InferencePace;
import imagerec.worker.model.RepositoryConfig;
import imagerec.worker.registration.RegistrationConfig;
import java.nio.file.Path;

/**
 * Everything a worker process is configured with, parsed once at start, grouped by concern; each
 * group checks its own values when built.
 *
 * @param server the gRPC port, limits, TLS, token, metrics: what every server has
 * @param name the name reported in responses (null: host:port)
 * @param models the model repository and how its models are brought up
 * @param batching queueing and batching of each model (a model's own config may override it)
 * @param decoding decode threads, their queue and the pixel limit
 * @param intraOpThreads threads one inference call may use (PyTorch and ONNX Runtime)
 * @param registration the balancer to register with, and how (null: none)
 * @param drainFile while this file exists the worker reports NOT_SERVING (null: none)
 * @param pace inference made slower than the model runs, for real-process tests and benchmarks
 *     (hidden options; {@link InferencePace#NORMAL} in production)
 */
public record WorkerConfig(ServerConfig server, String name, RepositoryConfig models, BatchingConfig batching,
                           DecodeConfig decoding, int intraOpThreads, RegistrationConfig registration,
                           Path drainFile, InferencePace pace) {
  public WorkerConfig {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("--intra-op-threads must be at least 1");
    }
    name = name == null || name.isBlank() ? null : name.strip();
    pace = pace == null ? InferencePace.NORMAL : pace;
  }
}
