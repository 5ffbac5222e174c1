package imagerec.balancer;

import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.routing.Picker;
import imagerec.observability.MetricsConfig;
import imagerec.security.ConnectionLimits;
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
 * @param discover DNS names (name:port) whose addresses are all workers, re-resolved periodically
 * @param discoveryInterval how often {@code discover} names are resolved again
 * @param policy how a worker is chosen
 * @param maxAttempts attempts per call, each on another worker (1 = no retry)
 * @param retryBudgetRatio retries allowed per call on average (0.2 = at most 20% extra load)
 * @param maxInFlight calls the balancer forwards at once; past it, RESOURCE_EXHAUSTED
 * @param maxBytesInFlight request bytes the balancer holds at once (gRPC calls and HTTP uploads
 *     together); past it, RESOURCE_EXHAUSTED
 * @param ejectAfterFailures consecutive failures that eject a worker
 * @param baseEjection the first ejection's length; each further one doubles, up to {@code maxEjection}
 * @param maxEjection the longest ejection
 * @param maxEjectedShare the largest share of workers ejected at once
 * @param streamWindow items of one client stream at the workers at once
 * @param limits message size, streams per connection, idle and keepalive of client connections
 * @param shutdownGrace how long in-flight calls may take to finish at shutdown
 * @param metrics where Prometheus metrics are served
 * @param accessLog whether every forwarded call is logged
 * @param http the HTTP upload endpoint ({@link HttpConfig#OFF} for none)
 * @param security TLS and tokens, toward clients and toward workers
 * @param reflection whether server reflection is served
 * @param admin where the admin services are served
 * @param eventLoopThreads the Netty threads of its servers and of its channels to workers, together
 *     ({@link TransportThreads}; Netty transports only)
 */
public record BalancerConfig(String host, int port, Path portFile, List<String> workers, List<String> discover,
                             Duration discoveryInterval, Picker.Policy policy, int maxAttempts,
                             double retryBudgetRatio, int maxInFlight, long maxBytesInFlight, int ejectAfterFailures, Duration baseEjection,
                             Duration maxEjection, double maxEjectedShare, int streamWindow, ConnectionLimits limits,
                             Duration shutdownGrace, MetricsConfig metrics, boolean accessLog, HttpConfig http,
                             SecurityConfig security, boolean reflection,
                             AdminConfig admin, int eventLoopThreads) {}
