package imagerec.balancer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a balancer process is configured with, parsed once at start.
 *
 * @param host address to bind
 * @param port gRPC port (0 = any free port)
 * @param portFile where to write the bound port once listening (null for none)
 * @param workers worker addresses, host:port
 * @param maxAttempts attempts per call, each on another worker (1 = no retry)
 * @param streamWindow items of one client stream at the workers at once
 * @param maxMessageBytes largest message accepted or forwarded
 * @param shutdownGrace how long in-flight calls may take to finish at shutdown
 */
public record BalancerConfig(String host, int port, Path portFile, List<String> workers, int maxAttempts,
                             int streamWindow, int maxMessageBytes, Duration shutdownGrace) {}
