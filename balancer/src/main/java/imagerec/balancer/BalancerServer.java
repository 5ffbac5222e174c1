package imagerec.balancer;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import imagerec.balancer.admin.AdminService;
import imagerec.balancer.cache.ResponseCache;
import imagerec.balancer.discovery.DnsDiscovery;
import imagerec.balancer.discovery.RegistrationService;
import imagerec.balancer.forwarding.Admission;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.forwarding.ForwardingObserver;
import imagerec.balancer.forwarding.ForwardingService;
import imagerec.balancer.health.HealthWatcher;
import imagerec.balancer.http.HttpGateway;
import imagerec.balancer.http.WebApi;
import imagerec.balancer.metrics.BalancerMetrics;
import imagerec.balancer.metrics.CallStats;
import imagerec.balancer.registry.CatalogPoller;
import imagerec.balancer.registry.WorkerPool;
import imagerec.balancer.registry.WorkerRegistry;
import imagerec.balancer.routing.OutlierDetector;
import imagerec.balancer.routing.Picker;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.observability.AccessLog;
import imagerec.observability.MetricsEndpoint;
import imagerec.observability.ProcessMetrics;
import imagerec.observability.Tracing;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.security.BearerToken;
import imagerec.security.ConnectionLimits;
import imagerec.security.Tls;
import imagerec.security.TokenAuthenticator;
import imagerec.server.OpenCalls;
import imagerec.server.PortBindException;
import imagerec.server.ServerConfig;
import imagerec.server.ServerLifecycle;
import imagerec.server.ServerVersion;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.WorkerRegistrationGrpc;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer process: serves {@code imagerec.v1.Recognizer} by forwarding to workers, plus
 * health and reflection; {@code BalancerAdmin} and {@code WorkerRegistration} on an admin port of
 * their own (loopback by default), or on the public port when configured so; optionally HTTP
 * uploads and a metrics endpoint. Health of {@code imagerec.v1.Recognizer} is SERVING while at
 * least one worker is; the overall ({@code ""}) status is SERVING while the process is up.
 *
 * <p>Lifecycle: the constructor wires the parts and opens nothing; {@link #start()} binds every
 * port, then starts discovery; a start that fails closes what it opened and throws (a
 * {@link PortBindException} naming the option of a port that cannot be bound). {@link #close()}
 * works in any state, once started or not, and releases everything the balancer owns: servers,
 * worker channels and health watches, the scheduler, metrics, tracing, and the transport
 * resources handed to it.
 */
public final class BalancerServer extends ServerLifecycle {
  private static final Logger log = LoggerFactory.getLogger(BalancerServer.class);

  private final BalancerConfig config;
  private final WorkerRegistry registry = new WorkerRegistry();
  private final CallStats callStats = new CallStats(System::currentTimeMillis);
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService scheduler;
  private final WorkerPool pool;
  /** Keeps each worker's models and versions current (every --catalog-interval-ms). */
  private final CatalogPoller catalogs;
  private final ResponseCache cache;
  private final ProcessMetrics processMetrics = new ProcessMetrics("balancer");
  private final Tracing tracing;
  private final Server server;
  private final Server adminServer; // null when the admin services are on the public port
  private final Server httpServer; // the in-process server the HTTP gateway calls; null without HTTP
  private final ManagedChannel httpChannel;
  private final HttpGateway http;
  private final List<AutoCloseable> transport; // closed last, after the servers and channels using them
  /** What a stop waits for: calls owed an answer, not health watches nor workers' registrations. */
  private final OpenCalls openCalls = new OpenCalls(OpenCalls.HEALTH_WATCH,
      WorkerRegistrationGrpc.getRegisterMethod().getFullMethodName());
  private volatile MetricsEndpoint metricsEndpoint; // set by start()

  /**
   * Wires a balancer; nothing listens until {@link #start()}.
   *
   * @param builder the public server's transport (Netty, or in-process in tests)
   * @param adminBuilder the admin server's transport, or null to serve the admin services on {@code builder}
   * @param channels opens a channel to a worker's address
   * @param tracing owned from here on
   * @param https the HTTP port's TLS identity, or null for plain HTTP
   * @param transport further resources owned from here on (TLS reloads, event loops), closed last
   */
  BalancerServer(BalancerConfig config, ServerBuilder<?> builder, ServerBuilder<?> adminBuilder,
                 Function<String, ManagedChannel> channels, Tracing tracing, SSLContext https,
                 List<AutoCloseable> transport) {
    this.config = config;
    this.tracing = tracing;
    this.transport = List.copyOf(transport);
    ServerConfig serverConfig = config.server();
    BalancerMetrics metrics = new BalancerMetrics(processMetrics.registry(), registry);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        new ThreadFactoryBuilder().setNameFormat("balancer-scheduler").setDaemon(true).build());
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(RecognizerGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    health.setStatus(GRPCInferenceServiceGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    registry.addListener(snapshot -> {
      ServingStatus status = snapshot.healthy().isEmpty() ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
      health.setStatus(RecognizerGrpc.SERVICE_NAME, status);
      health.setStatus(GRPCInferenceServiceGrpc.SERVICE_NAME, status);
    });
    RoutingConfig routing = config.routing();
    OutlierDetector outliers = new OutlierDetector(registry, routing.ejectAfterFailures(), routing.baseEjection(),
        routing.maxEjection(), routing.maxEjectedShare(), System::nanoTime);
    this.pool = new WorkerPool(registry, new HealthWatcher(registry, RecognizerGrpc.SERVICE_NAME, scheduler,
        Duration.ofMillis(100), Duration.ofSeconds(2)), channels);
    ForwardingConfig forwarding = config.forwarding();
    Admission admission = new Admission(forwarding.maxInFlight(), serverConfig.maxBytesInFlight(), metrics::rejected);
    String workerToken = config.workerChannels().token();
    this.cache = config.cache().enabled() ? new ResponseCache(config.cache()) : null;
    if (cache != null) {
      metrics.watch(cache);
    }
    ForwardingService service = new ForwardingService(registry,
        new Picker(() -> ThreadLocalRandom.current().nextLong(), routing.policy()), outliers,
        forwarding.maxAttempts(), forwarding.retryBudgetRatio(), admission, forwarding.streamWindow(),
        ForwardingObserver.both(metrics, callStats),
        tracing, new AccessLog(serverConfig.accessLog()), workerToken == null ? null : new BearerToken(workerToken),
        cache, ServerVersion.current(), config.http().enabled() ? List.of("classification", "binary_tensor_data")
            : List.of("classification"));
    this.catalogs = new CatalogPoller(registry, scheduler, config.discovery().catalogInterval(), workerToken == null
        ? CallOptions.DEFAULT : CallOptions.DEFAULT.withCallCredentials(new BearerToken(workerToken)));
    if (cache != null) { // after a reload, the old version's answers go at once
      catalogs.onCatalogChange(() -> cache.retain(this::anyWorkerServes));
      service.onStaleCatalog(this::refreshCatalogs);
    }
    ServerServiceDefinition recognizer = service.recognizer();
    ServerServiceDefinition inference = service.inference();
    if (serverConfig.token() != null) {
      recognizer = ServerInterceptors.intercept(recognizer,
          new TokenAuthenticator(serverConfig.token(), "the Recognizer service"));
      inference = ServerInterceptors.intercept(inference,
          new TokenAuthenticator(serverConfig.token(), "the GRPCInferenceService service"));
    }
    ServerServiceDefinition admin = new AdminService(registry, outliers::now, cache).bindService();
    ServerServiceDefinition registration = new RegistrationService(pool, registry, catalogs::refresh).bindService();
    String adminToken = config.admin().token();
    if (adminToken != null) {
      TokenAuthenticator adminAuth = new TokenAuthenticator(adminToken, "the balancer's admin services");
      admin = ServerInterceptors.intercept(admin, adminAuth);
      registration = ServerInterceptors.intercept(registration, adminAuth);
    }
    if (serverConfig.reflection()) {
      builder.addService(ProtoReflectionServiceV1.newInstance());
    }
    builder.maxInboundMessageSize(serverConfig.limits().maxMessageBytes());
    withObservability(builder)
        .addStreamTracerFactory(openCalls)
        // forwarding never blocks: callbacks run on the transport's threads, as in any proxy
        .directExecutor()
        .addService(recognizer)
        .addService(inference)
        .addService(health.getHealthService());
    if (adminBuilder == null) {
      builder.addService(admin).addService(registration);
      this.adminServer = null;
    } else {
      if (serverConfig.reflection()) {
        adminBuilder.addService(ProtoReflectionServiceV1.newInstance());
      }
      this.adminServer = withObservability(adminBuilder).addService(admin).addService(registration)
          .addService(health.getHealthService()).build();
    }
    this.server = builder.build();
    if (config.http().enabled()) {
      // the HTTP endpoint calls the same service in process: routed, limited and measured alike
      String name = "balancer-http-" + System.identityHashCode(this);
      // (and the admin service, for the page's workers panel: its token is checked there too)
      this.httpServer = withObservability(InProcessServerBuilder.forName(name)).directExecutor()
          .addService(recognizer).addService(inference).addService(admin).build();
      this.httpChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
      int maxUpload = serverConfig.limits().maxMessageBytes();
      WebApi api = new WebApi(httpChannel, callStats,
          serverConfig.token() == null ? null : new TokenAuthenticator(serverConfig.token(), "the balancer's API"),
          adminToken != null, config.http().workersPanel(), maxUpload);
      this.http = new HttpGateway(config.http(), httpChannel, maxUpload, admission, api, https);
    } else {
      this.httpServer = null;
      this.httpChannel = null;
      this.http = null;
    }
  }

  private ServerBuilder<?> withObservability(ServerBuilder<?> builder) {
    ServerInterceptor traced = tracing.serverInterceptor();
    if (traced != null) {
      builder.intercept(traced);
    }
    return builder.intercept(processMetrics.grpcServerInterceptor());
  }

  /**
   * A balancer on Netty, with TLS toward clients and workers as its config says; not started.
   * Throws when the TLS files cannot be used.
   */
  public static BalancerServer create(BalancerConfig config) throws IOException {
    ServerConfig serverConfig = config.server();
    Tls tls = new Tls(Duration.ofMinutes(1));
    TransportThreads threads = null;
    try {
      ServerCredentials credentials = tls.server(serverConfig.tls());
      NettyServerBuilder builder = NettyServerBuilder.forAddress(
          new InetSocketAddress(serverConfig.host(), serverConfig.port()), credentials);
      NettyServerBuilder adminBuilder = null;
      if (config.admin().ownPort()) {
        adminBuilder = NettyServerBuilder.forAddress(
            new InetSocketAddress(config.admin().host(), config.admin().port()), credentials);
      }
      ChannelCredentials toWorkers = tls.channel(config.workerChannels().tls(), config.workerChannels().files());
      threads = new TransportThreads(config.eventLoopThreads());
      for (NettyServerBuilder b : adminBuilder == null ? List.of(builder) : List.of(builder, adminBuilder)) {
        serverConfig.limits().applyTo(b);
        threads.applyTo(b);
      }
      TransportThreads eventLoops = threads;
      return new BalancerServer(config, builder, adminBuilder,
          address -> ConnectionLimits.keepAlive(eventLoops.applyTo(NettyChannelBuilder.forTarget(address, toWorkers)))
              .directExecutor()
              // the balancer retries by itself, to another worker, within its budget (ForwardedCall); the
              // channel's own retry machinery would only keep a copy of every request for replays that never
              // come (about a tenth of the balancer's CPU per call, docs/PERFORMANCE.md)
              .disableRetry()
              .maxInboundMessageSize(serverConfig.limits().maxMessageBytes())
              .build(),
          Tracing.fromEnvironment("imagerec-balancer"),
          config.http().enabled() ? tls.https(serverConfig.tls()) : null, List.of(threads, tls));
    } catch (GeneralSecurityException e) {
      closeAll(threads, tls);
      throw new IOException("cannot use the TLS files: " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      closeAll(threads, tls);
      throw e;
    }
  }

  private static void closeAll(TransportThreads threads, Tls tls) {
    if (threads != null) {
      threads.close();
    }
    tls.close();
  }

  /** {@link #create} and {@link #start()}: a started balancer on Netty. */
  public static BalancerServer start(BalancerConfig config) throws IOException {
    return create(config).start();
  }

  /** A started balancer on given transports (tests use in-process ones), with tracing from the environment. */
  public static BalancerServer start(BalancerConfig config, ServerBuilder<?> builder,
                                     Function<String, ManagedChannel> channels) throws IOException {
    return start(config, builder, channels, Tracing.fromEnvironment("imagerec-balancer"));
  }

  /** As above with given tracing, which the balancer then owns (tests pass an in-memory exporter). */
  public static BalancerServer start(BalancerConfig config, ServerBuilder<?> builder,
                                     Function<String, ManagedChannel> channels, Tracing tracing) throws IOException {
    return new BalancerServer(config, builder, null, channels, tracing, null, List.of()).start();
  }

  /**
   * Binds the admin, public, HTTP and metrics ports, writes the port files, and starts finding
   * workers. On failure everything is closed and the cause thrown.
   *
   * @return this
   */
  public BalancerServer start() throws IOException {
    ServerConfig serverConfig = config.server();
    try {
      if (adminServer != null) {
        PortBindException.bind("--admin-port", config.admin().host(), config.admin().port(), adminServer::start);
      }
      PortBindException.bind("--port", serverConfig.host(), serverConfig.port(), server::start);
      if (http != null) {
        httpServer.start();
        http.start();
      }
      metricsEndpoint = PortBindException.bind("--metrics-port", serverConfig.metrics().host(),
          serverConfig.metrics().port(), () -> MetricsEndpoint.start(processMetrics, serverConfig.metrics()));
      if (adminServer != null) {
        writePort(config.admin().portFile(), adminServer.getPort());
      }
      writePort(serverConfig.portFile(), server.getPort());
      catalogs.start(); // before the first worker is added, so that none turns SERVING unasked
      for (String address : config.discovery().workers()) {
        pool.add(address, "static");
      }
      if (!config.discovery().names().isEmpty()) {
        new DnsDiscovery(config.discovery().names(), DnsDiscovery.SYSTEM, pool)
            .start(scheduler, config.discovery().interval());
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    log.info("balancer listening on port {}, admin services on {}, forwarding to {}{}", server.getPort(),
        adminServer == null ? "the same port" : config.admin().host() + ":" + adminServer.getPort(),
        config.discovery().workers(), config.discovery().names().isEmpty() ? ""
            : " and the addresses of " + config.discovery().names());
    return this;
  }

  private static void writePort(Path file, int port) throws IOException {
    if (file != null) {
      Files.writeString(file, Integer.toString(port), StandardCharsets.UTF_8);
    }
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

  /** Whether a known worker serves {@code model} of {@code version}. */
  private boolean anyWorkerServes(String model, String version) {
    return registry.snapshot().all().stream().anyMatch(e -> e.catalog() != null && e.catalog().serves(model, version));
  }

  /** The response cache, or null when it is off. */
  public ResponseCache cache() {
    return cache;
  }

  /** Asks every worker in rotation for its models now, without waiting for the answers. */
  public void refreshCatalogs() {
    registry.snapshot().healthy().forEach(catalogs::refresh);
  }

  /** The workers as connections: what discovery and registrations add to and remove from. */
  public WorkerPool pool() {
    return pool;
  }

  /** Stops serving (calls in flight get the grace period), then releases everything. */
  @Override
  protected void stop() {
    log.info("balancer shutting down");
    health.enterTerminalState();
    if (http != null) {
      http.drain(); // uploads in flight get the grace period too
    }
    if (adminServer != null) {
      adminServer.shutdownNow(); // registration streams end; workers re-register with the next balancer
    }
    stopServing(server, config.server().shutdownGrace(),
        () -> openCalls.open() > 0 || (http != null && http.exchangesInFlight() > 0));
    if (http != null) {
      http.close();
      httpChannel.shutdownNow();
      httpServer.shutdownNow();
    }
    catalogs.close();
    scheduler.shutdownNow();
    pool.close();
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    processMetrics.close();
    tracing.close();
    for (AutoCloseable resource : transport) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", resource, e.toString());
      }
    }
    log.info("balancer stopped");
  }
}
