package imagerec.worker;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import imagerec.observability.AccessLog;
import imagerec.observability.MetricsEndpoint;
import imagerec.observability.ProcessMetrics;
import imagerec.observability.Tracing;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.security.ByteBudget;
import imagerec.security.Tls;
import imagerec.security.TokenAuthenticator;
import imagerec.server.OpenCalls;
import imagerec.server.PortBindException;
import imagerec.server.ServerConfig;
import imagerec.server.ServerLifecycle;
import imagerec.server.ServerVersion;
import imagerec.v1.LoadReport;
import imagerec.v1.RecognizerGrpc;
import imagerec.worker.engine.RecognitionEngine;
import imagerec.worker.grpc.ClientParseErrors;
import imagerec.worker.grpc.InferenceService;
import imagerec.worker.grpc.LoadReporter;
import imagerec.worker.grpc.RecognizerService;
import imagerec.worker.grpc.StartingService;
import imagerec.worker.grpc.Warmup;
import imagerec.worker.image.ImageDecoder;
import imagerec.worker.metrics.WorkerMetrics;
import imagerec.worker.model.ModelConfig;
import imagerec.worker.model.ModelLoadException;
import imagerec.worker.model.ModelRepository;
import imagerec.worker.model.ServedModel;
import imagerec.worker.registration.BalancerRegistration;
import imagerec.worker.registration.RegistrationConfig;
import io.grpc.ChannelCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.util.MutableHandlerRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process: a gRPC server with {@code imagerec.v1.Recognizer}, health and reflection,
 * in front of the models of one repository.
 *
 * <p>Lifecycle: the constructor wires the parts and opens nothing. {@link #start()} listens with
 * health NOT_SERVING, loads and warms the models, then turns SERVING; a start that fails closes
 * what it opened. {@link #close()}, in any state, turns NOT_SERVING, stops taking calls, lets
 * in-flight ones finish within the grace period, then closes the models, pools and endpoints.
 */
public final class WorkerServer extends ServerLifecycle {
  private static final Logger log = LoggerFactory.getLogger(WorkerServer.class);

  private final WorkerConfig config;
  private final HealthStatusManager health = new HealthStatusManager();
  /** What health says now; read by the protocol's readiness calls. */
  private volatile boolean serving;
  private final ThreadPoolExecutor decodePool;
  private final ScheduledExecutorService repositoryThread;
  private final MutableHandlerRegistry services = new MutableHandlerRegistry();
  private final LoadReporter loadReporter = new LoadReporter(this::queueDepth, this::queueCapacity);
  private final OpenCalls openCalls = new OpenCalls(OpenCalls.HEALTH_WATCH); // what a stop waits for
  private final ProcessMetrics processMetrics = new ProcessMetrics("worker");
  private final WorkerMetrics metrics = new WorkerMetrics(processMetrics.registry(), loadReporter::inFlight);
  private final Tracing tracing;
  private final AccessLog accessLog;
  private volatile String boundName; // host:port once listening
  private volatile MetricsEndpoint metricsEndpoint; // set by start()
  private final Server server;
  private volatile ModelRepository models;
  private final ByteBudget imageBytes; // shared by the services of every repository version
  private boolean drained; // the drain file existed at the last look (repository thread only)
  private volatile BalancerRegistration registration;
  private final Tls tls; // reloads the certificate files, the server's and the registration's

  /**
   * Wires a worker; nothing listens until {@link #start()}.
   *
   * @param builder the server's transport (Netty, or in-process in tests)
   * @param tracing owned from here on
   * @param tls owned from here on: reloads the certificate files, the server's and the registration's
   */
  WorkerServer(WorkerConfig config, ServerBuilder<?> builder, Tracing tracing, Tls tls) {
    this.config = config;
    this.tracing = tracing;
    this.tls = tls;
    ServerConfig server = config.server();
    this.accessLog = new AccessLog(server.accessLog());
    this.imageBytes = new ByteBudget(server.maxBytesInFlight());
    this.decodePool = new ThreadPoolExecutor(config.decoding().threads(), config.decoding().threads(), 0,
        TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(config.decoding().queue()),
        new ThreadFactoryBuilder().setNameFormat("decode-%d").setDaemon(true).build());
    this.repositoryThread = Executors.newSingleThreadScheduledExecutor(
        new ThreadFactoryBuilder().setNameFormat("model-repository").setDaemon(true).build());
    setServing(false);
    String loading = "worker is starting: models are loading; try another worker or retry shortly";
    services.addService(StartingService.of(RecognizerGrpc.getServiceDescriptor(), loading));
    services.addService(StartingService.of(GRPCInferenceServiceGrpc.getServiceDescriptor(), loading,
        InferenceService.WHILE_LOADING));
    ServerInterceptor traced = tracing.serverInterceptor();
    if (traced != null) {
      builder.intercept(traced);
    }
    if (server.reflection()) {
      builder.addService(ProtoReflectionServiceV1.newInstance());
    }
    server.limits().applyTo(builder);
    this.server = builder
        .addStreamTracerFactory(openCalls)
        .intercept(processMetrics.grpcServerInterceptor())
        // handlers never block (decoding and inference run on their own pools), so they run on the
        // transport's threads: no hand-off to an executor for every call
        .directExecutor()
        .addService(health.getHealthService())
        .fallbackHandlerRegistry(services)
        .build();
  }

  /** A worker on Netty with TLS as its config says; not started. Throws when the TLS files cannot be used. */
  public static WorkerServer create(WorkerConfig config) throws IOException {
    ServerConfig server = config.server();
    Tls tls = new Tls(Duration.ofMinutes(1));
    NettyServerBuilder builder;
    try {
      builder = NettyServerBuilder.forAddress(new InetSocketAddress(server.host(), server.port()),
          tls.server(server.tls()));
    } catch (GeneralSecurityException e) {
      tls.close();
      throw new IOException("cannot use the TLS files " + server.tls() + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      tls.close();
      throw e;
    }
    return new WorkerServer(config, builder, Tracing.fromEnvironment("imagerec-worker"), tls);
  }

  /** {@link #create} and {@link #start()}: returns once the worker is SERVING. */
  public static WorkerServer start(WorkerConfig config) throws IOException, ModelLoadException {
    return create(config).start();
  }

  /** A started worker on a given transport (tests use in-process ones). */
  public static WorkerServer start(WorkerConfig config, ServerBuilder<?> builder)
      throws IOException, ModelLoadException {
    return start(config, builder, Tracing.fromEnvironment("imagerec-worker"));
  }

  /** As {@link #start(WorkerConfig, ServerBuilder)} with given tracing, which the worker then owns. */
  public static WorkerServer start(WorkerConfig config, ServerBuilder<?> builder, Tracing tracing)
      throws IOException, ModelLoadException {
    return new WorkerServer(config, builder, tracing, new Tls(Duration.ofMinutes(1))).start();
  }

  /**
   * Binds the gRPC and metrics ports (health NOT_SERVING, Recognizer answering UNAVAILABLE), writes
   * the port file, loads and warms the models, then turns SERVING and registers with a balancer if
   * configured. On failure everything is closed and the cause thrown: a port that cannot be bound
   * as a {@link PortBindException} naming its option.
   *
   * @return this
   */
  public WorkerServer start() throws IOException, ModelLoadException {
    ServerConfig server = config.server();
    try {
      PortBindException.bind("--port", server.host(), server.port(), this.server::start);
      boundName = advertisedHost() + ":" + port();
      metricsEndpoint = PortBindException.bind("--metrics-port", server.metrics().host(), server.metrics().port(),
          () -> MetricsEndpoint.start(processMetrics, server.metrics()));
      loadModels();
    } catch (IOException | ModelLoadException | RuntimeException | Error e) {
      close(); // else a listening server would keep a process that never serves alive
      throw e;
    }
    return this;
  }

  private void loadModels() throws IOException, ModelLoadException {
    log.info("worker {} listening on port {}; loading models from {}", name(), port(), config.models().dir());
    if (config.server().portFile() != null) {
      Files.writeString(config.server().portFile(), Integer.toString(port()), StandardCharsets.UTF_8);
    }
    long start = System.nanoTime();
    models = ModelRepository.load(config.models(), config.batching(), config.intraOpThreads(), config.pace()::wrap,
        repositoryThread);
    declareModels();
    if (!config.models().pollInterval().isZero()) {
      long every = config.models().pollInterval().toMillis();
      repositoryThread.scheduleWithFixedDelay(this::refreshModels, every, every, TimeUnit.MILLISECONDS);
    }
    RecognitionEngine engine = engineFor(models);
    warmUp(engine);
    services.addService(served(serviceFor(engine, models).bindService(), "Recognizer")); // replaces the stand-in
    services.addService(served(new InferenceService(engine, models, () -> serving, ServerVersion.current(), name(),
        metrics, tracing, accessLog).bindService(), "GRPCInferenceService"));
    setServing(true);
    if (config.drainFile() != null) {
      watchDrainFile();
      repositoryThread.scheduleWithFixedDelay(this::watchDrainFile, 250, 250, TimeUnit.MILLISECONDS);
    }
    if (config.registration() != null) {
      RegistrationConfig how = config.registration();
      String advertised = how.advertise() != null ? how.advertise() : boundName;
      ChannelCredentials credentials;
      try {
        credentials = tls.channel(how.tls(), how.tlsFiles());
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot use the registration's TLS files " + how.tlsFiles() + ": " + e.getMessage(), e);
      }
      registration = new BalancerRegistration(how.balancer(), credentials, how.token(), advertised,
          () -> models.all().stream().map(m -> m.config().name()).toList(), this::loadReport, repositoryThread,
          Duration.ofSeconds(1));
      registration.start();
    }
    log.info("worker {} SERVING models {} (default {}) after {} ms", name(),
        models.all().stream().map(m -> m.config().name()).toList(), models.defaultModel(),
        (System.nanoTime() - start) / 1_000_000);
  }

  /** A service as clients reach it: parse errors as INVALID_ARGUMENT, load in trailers, the token checked first. */
  private ServerServiceDefinition served(ServerServiceDefinition service, String what) {
    ServerServiceDefinition wrapped = ServerInterceptors.intercept(ClientParseErrors.wrap(service), loadReporter);
    if (token() != null) { // checked first, before anything counts the call
      wrapped = ServerInterceptors.intercept(wrapped, new TokenAuthenticator(token(), "the worker's " + what + " service"));
    }
    return wrapped;
  }

  private void refreshModels() {
    try {
      models.refresh();
      declareModels();
    } catch (RuntimeException e) {
      log.error("model repository refresh failed", e);
    }
  }

  private void declareModels() {
    ModelRepository repository = models;
    metrics.modelsLoaded(repository.all().stream().map(m -> m.config().name()).toList(),
        name -> repository.all().stream().filter(m -> m.config().name().equals(name))
            .mapToInt(m -> m.queueDepth()).sum(),
        name -> repository.all().stream().filter(m -> m.config().name().equals(name))
            .mapToInt(m -> m.queueCapacity()).sum());
  }

  /** The bearer token Recognizer calls must carry, or null (a blank one counts as none). */
  private String token() {
    return config.server().token();
  }

  private RecognitionEngine engineFor(ModelRepository repository) {
    return new RecognitionEngine(repository, new ImageDecoder(config.decoding().maxPixels()), decodePool, imageBytes);
  }

  private RecognizerService serviceFor(RecognitionEngine engine, ModelRepository repository) {
    return new RecognizerService(engine, repository, name(), metrics, tracing, accessLog);
  }

  /**
   * Runs {@link Warmup} over every model, with a Recognizer of its own (so that the worker's request
   * metrics do not count the warm-up's calls, and its access log is off).
   */
  private void warmUp(RecognitionEngine engine) {
    if (config.models().warmup().isZero()) {
      return;
    }
    List<ModelConfig> loaded = models.all().stream().map(ServedModel::config).toList();
    int inferenceThreads = models.all().stream().mapToInt(m -> m.inferenceThreads()).sum();
    ServerServiceDefinition service = ClientParseErrors.wrap(new RecognizerService(engine, models, name()).bindService());
    String token = token();
    if (token != null) {
      service = ServerInterceptors.intercept(service, new TokenAuthenticator(token, "the worker's warm-up"));
    }
    Warmup.Result r;
    try {
      r = Warmup.run(service, token, loaded, config.models().warmup(), Math.max(2, 2 * inferenceThreads));
    } catch (IOException e) { // an optimization only: never a reason not to serve
      log.warn("warm-up skipped: cannot listen on a loopback port: {}", e.toString());
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (r.failed() > 0) {
      log.warn("warm-up: {} of {} calls failed, the first with: {}", r.failed(), r.calls() + r.failed(),
          r.firstFailure().toString());
    }
    log.info("warm-up: {} calls over {} model(s) in {} ms", r.calls(), loaded.size(), r.took().toMillis());
  }

  /** The bound metrics port, or -1 when metrics are not served. */
  public int metricsPort() {
    return metricsEndpoint == null ? -1 : metricsEndpoint.port();
  }

  private LoadReport loadReport() {
    return LoadReport.newBuilder().setInFlight(loadReporter.inFlight()).setQueueDepth(queueDepth())
        .setCapacity(queueCapacity()).build();
  }

  /** Images that may wait for inference, over all models. */
  private int queueCapacity() {
    ModelRepository repository = models;
    return repository == null ? 0 : repository.all().stream().mapToInt(m -> m.queueCapacity()).sum();
  }

  /** Images waiting for inference, over all models. */
  private int queueDepth() {
    ModelRepository repository = models;
    return repository == null ? 0 : repository.all().stream().mapToInt(m -> m.queueDepth()).sum();
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** The name reported in responses. */
  public String name() {
    if (config.name() != null) {
      return config.name();
    }
    String bound = boundName;
    return bound != null ? bound : advertisedHost() + ":" + config.server().port();
  }

  private String advertisedHost() {
    String host = config.server().host();
    if (!host.equals("0.0.0.0") && !host.equals("::") && !host.isEmpty()) {
      return host;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /**
   * NOT_SERVING while the drain file exists, SERVING again once it is gone: a balancer stops
   * sending calls as soon as its health stream says so, and the calls in flight finish. Runs on
   * the repository thread.
   */
  private void watchDrainFile() {
    boolean drain = Files.exists(config.drainFile());
    if (drain != drained) {
      drained = drain;
      setServing(!drain);
      log.info("worker {} {} ({} {})", name(), drain ? "NOT_SERVING: draining" : "SERVING again",
          config.drainFile(), drain ? "exists" : "is gone");
    }
  }

  /** Marks the worker NOT_SERVING (for draining) without stopping it. */
  public void setServing(boolean serving) {
    ServingStatus status = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    health.setStatus("", status);
    health.setStatus(RecognizerGrpc.SERVICE_NAME, status);
    health.setStatus(GRPCInferenceServiceGrpc.SERVICE_NAME, status);
    this.serving = serving;
  }

  @Override
  protected void stop() {
    log.info("worker {} shutting down", name());
    if (registration != null) {
      registration.close(); // the balancer stops routing here before the server stops
    }
    health.enterTerminalState();
    // health watches (a balancer keeps one open, and has just been told NOT_SERVING) would
    // otherwise hold the server for all of the grace period
    stopServing(server, config.server().shutdownGrace(), () -> openCalls.open() > 0);
    repositoryThread.shutdownNow();
    if (models != null) {
      models.close();
    }
    decodePool.shutdownNow();
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    processMetrics.close();
    tracing.close(); // flushes spans still buffered
    tls.close();
    log.info("worker {} stopped", name());
  }
}
