package imagerec.worker;

import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
import imagerec.security.TlsConfig;
import imagerec.worker.registration.RegistrationConfig;
import imagerec.worker.inference.BatchingConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a worker process is configured with, parsed once at start.
 *
 * @param host address to bind
 * @param port gRPC port (0 = any free port; see {@code portFile})
 * @param portFile where to write the bound port once listening (null for none)
 * @param name the name reported in responses (default host:port)
 * @param modelsDir model repository folder
 * @param defaultModel model used when a request names none (null = first by name)
 * @param batching queueing and batching of each model
 * @param intraOpThreads PyTorch threads per inference call
 * @param decodeThreads threads decoding images
 * @param decodeQueue images waiting for a decode thread before requests are shed
 * @param maxPixels largest image accepted, in pixels
 * @param limits message size, streams per connection, idle and keepalive of client connections
 * @param shutdownGrace how long in-flight calls may take to finish at shutdown
 * @param pollInterval how often the model repository is rescanned for changes (zero: never)
 * @param registration the balancer to register with, and how (null: none)
 * @param metrics where Prometheus metrics are served
 * @param accessLog whether every request is logged
 * @param tls the server's certificate, and the CA its clients must be signed by for mutual TLS
 * @param token the bearer token every Recognizer call must carry (null: none)
 * @param reflection whether server reflection is served
 * @param drainFile while this file exists the worker reports NOT_SERVING (null: none)
 * @param maxBytesInFlight image bytes held at once; past it, RESOURCE_EXHAUSTED
 * @param warmup how long synthetic images are run through every model before the worker reports
 *     SERVING, so that the JVM has compiled the request path (zero: none)
 */
public record WorkerConfig(String host, int port, Path portFile, String name, Path modelsDir,
                           String defaultModel, BatchingConfig batching, int intraOpThreads,
                           int decodeThreads, int decodeQueue, long maxPixels, ConnectionLimits limits,
                           Duration shutdownGrace, Duration pollInterval, RegistrationConfig registration,
                           MetricsConfig metrics, boolean accessLog,
                           TlsConfig tls, String token, boolean reflection, Path drainFile,
                           long maxBytesInFlight, Duration warmup) {
  @Override
  public String toString() { // the token is a secret: never in the log
    return "WorkerConfig[host=" + host + ", port=" + port + ", name=" + name + ", modelsDir=" + modelsDir
        + ", defaultModel=" + defaultModel + ", batching=" + batching + ", intraOpThreads=" + intraOpThreads
        + ", decodeThreads=" + decodeThreads + ", decodeQueue=" + decodeQueue + ", maxPixels=" + maxPixels
        + ", limits=" + limits + ", shutdownGrace=" + shutdownGrace + ", pollInterval="
        + pollInterval + ", registration=" + registration
        + ", metrics=" + metrics + ", accessLog=" + accessLog + ", tls=" + tls + ", token="
        + (token == null ? "none" : "(hidden)") + ", reflection=" + reflection + ", drainFile=" + drainFile + ", maxBytesInFlight=" + maxBytesInFlight
        + ", warmup=" + warmup + "]";
  }
}
