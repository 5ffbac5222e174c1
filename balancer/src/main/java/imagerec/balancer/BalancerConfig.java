package imagerec.balancer;

import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.cache.CacheConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.server.ServerConfig;

/**
 * Everything a balancer process is configured with, parsed once at start, grouped by concern;
 * each group checks its own values when built.
 *
 * @param server the public gRPC port, limits, TLS, token, metrics: what every server has
 * @param discovery where workers are found besides their registrations
 * @param routing which worker gets a call, and when one is ejected
 * @param forwarding retries, the in-flight limit and the stream window
 * @param cache the response cache ({@link CacheConfig#OFF} for none)
 * @param admin where the admin services are served, and their token
 * @param http the HTTP upload endpoint ({@link HttpConfig#OFF} for none)
 * @param workerChannels TLS and token toward the workers
 * @param eventLoopThreads the Netty threads of its servers and of its channels to workers, together
 *     ({@link TransportThreads}; Netty transports only)
 */
public record BalancerConfig(ServerConfig server, DiscoveryConfig discovery, RoutingConfig routing,
                             ForwardingConfig forwarding, CacheConfig cache, AdminConfig admin, HttpConfig http,
                             WorkerChannelConfig workerChannels, int eventLoopThreads) {
  public BalancerConfig {
    if (eventLoopThreads < 1) {
      throw new IllegalArgumentException("--event-loop-threads must be at least 1 (0 on the command line = one per two cores)");
    }
  }
}
