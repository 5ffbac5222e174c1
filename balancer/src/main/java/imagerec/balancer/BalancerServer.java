package imagerec.balancer;

import imagerec.balancer.admin.AdminService;
import imagerec.balancer.discovery.DnsDiscovery;
import imagerec.balancer.discovery.Membership;
import imagerec.balancer.discovery.RegistrationService;
import imagerec.balancer.forwarding.Admission;
import imagerec.balancer.forwarding.ForwardingService;
import imagerec.balancer.health.HealthWatcher;
import imagerec.balancer.http.HttpGateway;
import imagerec.balancer.metrics.BalancerMetrics;
import imagerec.balancer.registry.WorkerEndpoint;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.OutlierDetector;
import imagerec.balancer.routing.Picker;
import imagerec.observability.AccessLog;
import imagerec.observability.MetricsEndpoint;
import imagerec.observability.ProcessMetrics;
import imagerec.observability.Tracing;
import imagerec.security.BearerToken;
import imagerec.security.ConnectionLimits;
import io.grpc.ServerCredentials;
import imagerec.security.Tls;
import imagerec.security.TokenAuthenticator;
import io.grpc.ChannelCredentials;
import io.grpc.ServerInterceptors;
import java.security.GeneralSecurityException;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer process: serves {@code imagerec.v1.Recognizer} by forwarding to workers, plus
 * health and reflection; {@code BalancerAdmin} and {@code WorkerRegistration} on an admin port of
 * their own (loopback by default), or on the public port when configured so. Health of
 * {@code imagerec.v1.Recognizer} is SERVING while at least one
 * worker is; the overall ({@code ""}) status is SERVING while the process is up.
 *
 * <p>Owns the worker channels, the health watcher and its scheduler, and closes them in
 * {@link #close()}.
 */
public final class BalancerServer implements AutoCloseable, Membership {
  private static final Logger log = LoggerFactory.getLogger(BalancerServer.class);

  private final BalancerConfig config;
  private final WorkerRegistry registry = new WorkerRegistry();
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService scheduler;
  private final HealthWatcher watcher;
  private final OutlierDetector outliers;
  private final Function<String, ManagedChannel> channels;
  private final ProcessMetrics processMetrics = new ProcessMetrics("balancer");
  private final Tracing tracing;
  private final MetricsEndpoint metricsEndpoint;
  private final Server server;
  private final Server adminServer; // null when the admin services are on the public port
  private final Server httpServer;
  private final ManagedChannel httpChannel;
  private final HttpGateway http;
  private Tls tls; // set by start(config); reloads the certificate files
  private TransportThreads threads; // set by start(config); the Netty servers' and worker channels' threads

  private BalancerServer(BalancerConfig config, ServerBuilder<?> builder, ServerBuilder<?> adminBuilder,
                         Function<String, ManagedChannel> channels, Tracing tracing) throws IOException {
    this.config = config;
    this.tracing = tracing;
    AccessLog.enable(config.accessLog());
    BalancerMetrics metrics = new BalancerMetrics(processMetrics.registry(), registry);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "balancer-scheduler");
      t.setDaemon(true);
      return t;
    });
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(RecognizerGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    registry.addListener(snapshot -> health.setStatus(RecognizerGrpc.SERVICE_NAME,
        snapshot.healthy().isEmpty() ? ServingStatus.NOT_SERVING : ServingStatus.SERVING));
    this.outliers = new OutlierDetector(registry, config.ejectAfterFailures(), config.baseEjection(),
        config.maxEjection(), config.maxEjectedShare(), System::nanoTime);
    this.watcher = new HealthWatcher(registry, RecognizerGrpc.SERVICE_NAME, scheduler,
        Duration.ofMillis(100), Duration.ofSeconds(2));
    this.channels = channels;
    for (String address : config.workers()) {
      add(address, "static");
    }
    Admission admission = new Admission(config.maxInFlight(), config.maxBytesInFlight(), metrics::rejected);
    ServerServiceDefinition recognizer = ForwardingService.create(registry,
        new Picker(() -> ThreadLocalRandom.current().nextLong(), config.policy()), outliers, config.maxAttempts(),
        config.retryBudgetRatio(), admission, config.streamWindow(), metrics, tracing, new AccessLog(),
        config.security().workerToken() == null ? null : new BearerToken(config.security().workerToken()));
    SecurityConfig security = config.security();
    if (security.token() != null) {
      recognizer = ServerInterceptors.intercept(recognizer, new TokenAuthenticator(security.token(), "the Recognizer service"));
    }
    ServerServiceDefinition admin = new AdminService(registry, outliers::now).bindService();
    ServerServiceDefinition registration = new RegistrationService(this, registry).bindService();
    if (security.adminToken() != null) {
      TokenAuthenticator adminAuth = new TokenAuthenticator(security.adminToken(), "the balancer's admin services");
      admin = ServerInterceptors.intercept(admin, adminAuth);
      registration = ServerInterceptors.intercept(registration, adminAuth);
    }
    if (config.reflection()) {
      builder.addService(ProtoReflectionServiceV1.newInstance());
    }
    builder.maxInboundMessageSize(config.limits().maxMessageBytes());
    withObservability(builder)
        // forwarding never blocks: callbacks run on the transport's threads, as in any proxy
        .directExecutor()
        .addService(recognizer)
        .addService(health.getHealthService());
    if (adminBuilder == null) {
      builder.addService(admin).addService(registration);
      this.adminServer = null;
    } else {
      if (config.reflection()) {
        adminBuilder.addService(ProtoReflectionServiceV1.newInstance());
      }
      this.adminServer = withObservability(adminBuilder).addService(admin).addService(registration)
          .addService(health.getHealthService()).build().start();
    }
    this.server = builder.build().start();
    if (config.http().enabled()) {
      // the HTTP endpoint calls the same service in process: routed, limited and measured alike
      String name = "balancer-http-" + System.identityHashCode(this);
      this.httpServer = withObservability(InProcessServerBuilder.forName(name)).directExecutor()
          .addService(recognizer).build().start();
      this.httpChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
      this.http = HttpGateway.start(config.http(), httpChannel, config.limits().maxMessageBytes(), admission);
    } else {
      this.httpServer = null;
      this.httpChannel = null;
      this.http = null;
    }
    log.info("balancer listening on port {}, admin services on {}, forwarding to {}{}", server.getPort(),
        adminServer == null ? "the same port" : config.admin().host() + ":" + adminServer.getPort(), config.workers(),
        config.discover().isEmpty() ? "" : " and the addresses of " + config.discover());
    if (!config.discover().isEmpty()) {
      new DnsDiscovery(config.discover(), DnsDiscovery.SYSTEM, this).start(scheduler, config.discoveryInterval());
    }
    this.metricsEndpoint = MetricsEndpoint.start(processMetrics, config.metrics());
    if (adminServer != null && config.admin().portFile() != null) {
      Files.writeString(config.admin().portFile(), Integer.toString(adminServer.getPort()), StandardCharsets.UTF_8);
    }
    if (config.portFile() != null) {
      Files.writeString(config.portFile(), Integer.toString(server.getPort()), StandardCharsets.UTF_8);
    }
  }

  private ServerBuilder<?> withObservability(ServerBuilder<?> builder) {
    ServerInterceptor traced = tracing.serverInterceptor();
    if (traced != null) {
      builder.intercept(traced);
    }
    return builder.intercept(processMetrics.grpcServerInterceptor());
  }

  /** Starts a balancer on Netty, with TLS toward clients and workers as its config says. */
  public static BalancerServer start(BalancerConfig config) throws IOException {
    Tls tls = new Tls(Duration.ofMinutes(1));
    NettyServerBuilder builder;
    NettyServerBuilder adminBuilder = null;
    ChannelCredentials toWorkers;
    try {
      ServerCredentials credentials = tls.server(config.security().server());
      builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()), credentials);
      if (config.admin().ownPort()) {
        adminBuilder = NettyServerBuilder.forAddress(
            new InetSocketAddress(config.admin().host(), config.admin().port()), credentials);
        config.limits().applyTo(adminBuilder);
      }
      toWorkers = tls.channel(config.security().workerTls(), config.security().worker());
    } catch (GeneralSecurityException e) {
      tls.close();
      throw new IOException("cannot use the TLS files: " + e.getMessage(), e);
    }
    config.limits().applyTo(builder);
    TransportThreads threads = new TransportThreads(config.eventLoopThreads());
    threads.applyTo(builder);
    if (adminBuilder != null) {
      threads.applyTo(adminBuilder);
    }
    try {
      BalancerServer balancer = new BalancerServer(config, builder, adminBuilder,
          address -> ConnectionLimits.keepAlive(threads.applyTo(NettyChannelBuilder.forTarget(address, toWorkers)))
              .directExecutor()
              // the balancer retries by itself, to another worker, within its budget (ForwardedCall); the
              // channel's own retry machinery would only keep a copy of every request for replays that never
              // come (about a tenth of the balancer's CPU per call, docs/PERFORMANCE.md)
              .disableRetry()
              .maxInboundMessageSize(config.limits().maxMessageBytes())
              .build(),
          Tracing.fromEnvironment("imagerec-balancer"));
      balancer.tls = tls;
      balancer.threads = threads;
      return balancer;
    } catch (IOException | RuntimeException e) {
      tls.close();
      threads.close();
      throw e;
    }
  }

  /** As {@link #start(BalancerConfig)} with given transports (tests use in-process ones). */
  public static BalancerServer start(BalancerConfig config, ServerBuilder<?> builder,
                                     Function<String, ManagedChannel> channels) throws IOException {
    return start(config, builder, channels, Tracing.fromEnvironment("imagerec-balancer"));
  }

  /** As above with given tracing, which the balancer then owns (tests pass an in-memory exporter). */
  public static BalancerServer start(BalancerConfig config, ServerBuilder<?> builder,
                                     Function<String, ManagedChannel> channels, Tracing tracing) throws IOException {
    return new BalancerServer(config, builder, null, channels, tracing);
  }

  /** {@inheritDoc} Opens a channel to the worker and starts watching its health. */
  @Override
  public synchronized void add(String address, String source) {
    if (registry.find(address).isPresent()) {
      return;
    }
    WorkerEndpoint endpoint = new WorkerEndpoint(address, source, channels.apply(address));
    registry.add(endpoint);
    watcher.watch(endpoint);
    log.info("worker {} added ({})", address, source);
  }

  /** {@inheritDoc} Its channel shuts down once the calls in flight on it have finished. */
  @Override
  public synchronized void remove(String address, String source) {
    registry.find(address).filter(e -> e.source().equals(source)).ifPresent(endpoint -> {
      registry.remove(endpoint);
      watcher.unwatch(endpoint);
      endpoint.channel().shutdown();
      log.info("worker {} removed ({})", address, source);
    });
  }

  public int port() {
    return server.getPort();
  }

  /** The bound admin port; the public one when the admin services share it. */
  public int adminPort() {
    return adminServer == null ? server.getPort() : adminServer.getPort();
  }

  /** The bound HTTP upload port, or -1 when it is not served. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** The bound metrics port, or -1 when metrics are not served. */
  public int metricsPort() {
    return metricsEndpoint == null ? -1 : metricsEndpoint.port();
  }

  public WorkerRegistry registry() {
    return registry;
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    log.info("balancer shutting down");
    health.enterTerminalState();
    if (http != null) {
      http.close();
      httpChannel.shutdownNow();
      httpServer.shutdownNow();
    }
    if (adminServer != null) {
      adminServer.shutdownNow(); // registration streams end; workers re-register with the next balancer
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    watcher.close();
    scheduler.shutdownNow();
    for (WorkerEndpoint endpoint : registry.snapshot().all()) {
      endpoint.channel().shutdownNow();
    }
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    processMetrics.close();
    tracing.close();
    if (threads != null) { // after the servers and channels that use them
      threads.close();
    }
    if (tls != null) {
      tls.close();
    }
    log.info("balancer stopped");
  }
}
