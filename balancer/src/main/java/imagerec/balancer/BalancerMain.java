package imagerec.balancer;

import imagerec.balancer.admin.AdminConfig;
import imagerec.balancer.cache.CacheConfig;
import imagerec.balancer.discovery.DiscoveryConfig;
import imagerec.balancer.forwarding.ForwardingConfig;
import imagerec.balancer.http.HttpConfig;
import imagerec.balancer.registry.WorkerChannelConfig;
import imagerec.balancer.routing.Picker;
import imagerec.balancer.routing.RoutingConfig;
import imagerec.grpc.HostPort;
import imagerec.observability.Logging;
import imagerec.security.TlsConfig;
import imagerec.server.ServerConfig;
import imagerec.server.ServerLauncher;
import imagerec.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code imagerec-balancer}: parses options (flags over {@code IMAGEREC_*} environment variables
 * over defaults) and runs a {@link BalancerServer} until SIGTERM/SIGINT.
 */
@Command(name = "imagerec-balancer", mixinStandardHelpOptions = true, version = "imagerec-balancer 0.1.0",
    sortOptions = false, abbreviateSynopsis = true,
    description = "Forwards Recognizer and Open Inference Protocol calls to the least-loaded healthy worker; "
        + "with --http-port also serves HTTP uploads and a web page.",
    footer = {"", "An option with a variable (env ...) can also be set with it, the flag winning: "
        + "IMAGEREC_WORKERS=w1:50061,w2:50061.",
        "Exit codes: 0 stopped cleanly, 1 failed to start, 2 bad options or a port that cannot be bound."})
public final class BalancerMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BalancerMain.class);
  private static final ServerOptions.Defaults DEFAULTS = new ServerOptions.Defaults("IMAGEREC_BALANCER_", 50051, 9090);

  @Option(names = "--workers", split = ",", defaultValue = "${env:IMAGEREC_WORKERS}",
      paramLabel = "HOST:PORT", description = "static worker addresses, comma-separated")
  List<String> workers = new ArrayList<>();

  @Option(names = "--discover", split = ",", defaultValue = "${env:IMAGEREC_DISCOVER}", paramLabel = "NAME:PORT",
      description = "DNS names whose every address is a worker (a headless service), re-resolved periodically")
  List<String> discover = new ArrayList<>();

  @Option(names = "--discovery-interval-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_DISCOVERY_INTERVAL_MS:-5000}",
      description = "how often --discover names are resolved again (default: ${DEFAULT-VALUE})")
  long discoveryIntervalMs;

  @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "${env:IMAGEREC_ADMIN_PORT:-50052}",
      description = "port of BalancerAdmin and WorkerRegistration (with health and reflection); 0 picks a free one, "
          + "-1 serves them on --port (default: ${DEFAULT-VALUE})")
  int adminPort;

  @Option(names = "--admin-host", paramLabel = "ADDRESS", defaultValue = "${env:IMAGEREC_ADMIN_HOST:-127.0.0.1}",
      description = "address the admin port binds; workers that register from other hosts need it reachable "
          + "(then set --admin-token, and TLS) (default: ${DEFAULT-VALUE})")
  String adminHost;

  @Option(names = "--admin-port-file", paramLabel = "PATH", description = "write the bound admin port to this file")
  Path adminPortFile;

  @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_ATTEMPTS:-3}",
      description = "attempts per call on UNAVAILABLE, each on another worker (default: ${DEFAULT-VALUE})")
  int maxAttempts;

  @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "${env:IMAGEREC_POLICY:-least-latency}",
      description = "least-latency (outstanding calls weighted by each worker's recent call latency), "
          + "least-outstanding, or round-robin (a baseline for benchmarks) (default: ${DEFAULT-VALUE})")
  String policy;

  @Option(names = "--retry-budget", paramLabel = "N", defaultValue = "${env:IMAGEREC_RETRY_BUDGET:-0.2}",
      description = "retries allowed per call on average, 0.2 = at most 20%% extra load (default: ${DEFAULT-VALUE})")
  double retryBudget;

  @Option(names = "--event-loop-threads", paramLabel = "N", defaultValue = "${env:IMAGEREC_EVENT_LOOP_THREADS:-0}",
      description = "network threads, shared by client connections and connections to workers; 0 = one per two "
          + "cores (default: ${DEFAULT-VALUE})")
  int eventLoopThreads;

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_IN_FLIGHT:-10000}",
      description = "calls forwarded at once; past it, RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE})")
  int maxInFlight;

  @Option(names = "--eject-after-failures", paramLabel = "N", defaultValue = "${env:IMAGEREC_EJECT_AFTER_FAILURES:-5}",
      description = "consecutive failures (UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, ...) that eject a worker (default: ${DEFAULT-VALUE})")
  int ejectAfterFailures;

  @Option(names = "--ejection-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_EJECTION_MS:-5000}",
      description = "first ejection; each further one doubles (default: ${DEFAULT-VALUE})")
  long ejectionMs;

  @Option(names = "--max-ejection-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_MAX_EJECTION_MS:-300000}",
      description = "longest ejection (default: ${DEFAULT-VALUE})")
  long maxEjectionMs;

  @Option(names = "--max-ejected-percent", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_EJECTED_PERCENT:-50}",
      description = "most workers ejected at once, in percent (default: ${DEFAULT-VALUE})")
  int maxEjectedPercent;

  @Option(names = "--stream-window", paramLabel = "N", defaultValue = "${env:IMAGEREC_STREAM_WINDOW:-64}",
      description = "items of one client stream at the workers at once (default: ${DEFAULT-VALUE})")
  int streamWindow;

  @Option(names = "--catalog-interval-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_CATALOG_INTERVAL_MS:-2000}",
      description = "ask every worker which models and versions it serves this often, besides when it turns SERVING "
          + "or registers (default: ${DEFAULT-VALUE})")
  long catalogIntervalMs;

  @Option(names = "--cache-bytes", defaultValue = "${env:IMAGEREC_CACHE_BYTES:-0}", paramLabel = "SIZE",
      description = "keep workers' answers for repeated images in a cache of this size (bytes, or 256m, 1g); "
          + "0 turns it off (default: ${DEFAULT-VALUE})")
  String cacheBytes;

  @Option(names = "--cache-ttl-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_CACHE_TTL_MS:-0}",
      description = "longest a cached answer is kept, in milliseconds; 0 = until evicted (default: ${DEFAULT-VALUE})")
  long cacheTtlMs;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "${env:IMAGEREC_HTTP_PORT:--1}",
      description = "port of the HTTP upload endpoint (POST /image, POST /v1/recognize); 0 picks a free one, "
          + "-1 turns it off (default: ${DEFAULT-VALUE})")
  int httpPort;

  @Option(names = "--http-host", paramLabel = "ADDRESS", defaultValue = "${env:IMAGEREC_HTTP_HOST:-0.0.0.0}",
      description = "address the HTTP endpoint binds (default: ${DEFAULT-VALUE})")
  String httpHost;

  @Option(names = "--http-timeout-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_HTTP_TIMEOUT_MS:-30000}",
      description = "deadline of an HTTP upload's recognition (default: ${DEFAULT-VALUE})")
  long httpTimeoutMs;

  @Option(names = "--http-threads", paramLabel = "N", defaultValue = "${env:IMAGEREC_HTTP_THREADS:-16}",
      description = "HTTP uploads handled at once; each may hold a few copies of an image of up to --max-message-bytes (default: ${DEFAULT-VALUE})")
  int httpThreads;

  @Option(names = "--http-port-file", paramLabel = "PATH", description = "write the bound HTTP port to this file")
  Path httpPortFile;

  @Option(names = "--http-workers-panel", defaultValue = "${env:IMAGEREC_HTTP_WORKERS_PANEL:-true}", arity = "1",
      paramLabel = "true|false", description = "the web page's workers panel (GET /api/workers; asks for the admin "
          + "token when one is set) (default: ${DEFAULT-VALUE})")
  boolean httpWorkersPanel;

  @Mixin
  ServerOptions serverOptions = new ServerOptions();

  @Option(names = "--admin-token", defaultValue = "${env:IMAGEREC_ADMIN_TOKEN}", paramLabel = "TOKEN",
      description = "BalancerAdmin and WorkerRegistration calls must carry this token (default: --token's)")
  String adminToken;

  @Option(names = "--worker-tls", paramLabel = "true|false", defaultValue = "${env:IMAGEREC_WORKER_TLS:-false}", fallbackValue = "true", arity = "0..1",
      description = "connect to the workers with TLS (implied by --worker-ca)")
  boolean workerTls;

  @Option(names = "--worker-ca", defaultValue = "${env:IMAGEREC_WORKER_CA}", paramLabel = "PEM",
      description = "trust workers' certificates signed by this CA (default: the system's CAs)")
  Path workerCa;

  @Option(names = "--worker-cert", defaultValue = "${env:IMAGEREC_WORKER_CERT}", paramLabel = "PEM",
      description = "client certificate for workers that require mutual TLS (with --worker-key)")
  Path workerCert;

  @Option(names = "--worker-key", defaultValue = "${env:IMAGEREC_WORKER_KEY}", paramLabel = "PEM",
      description = "the private key of --worker-cert (PKCS#8 PEM)")
  Path workerKey;

  @Option(names = "--worker-token", defaultValue = "${env:IMAGEREC_WORKER_TOKEN}", paramLabel = "TOKEN",
      description = "send 'authorization: Bearer TOKEN' to the workers (their --token)")
  String workerToken;

  @Override
  public Integer call() throws Exception {
    CommandLine cmd = new CommandLine(this);
    String badLogFormat = Logging.checkFormat(System.getenv(Logging.FORMAT_VARIABLE));
    if (badLogFormat != null) {
      throw new CommandLine.ParameterException(cmd, badLogFormat);
    }
    if (eventLoopThreads < 0) {
      throw new CommandLine.ParameterException(cmd, "--event-loop-threads must not be negative (0 = one per two cores)");
    }
    ServerConfig server = serverOptions.config(cmd, DEFAULTS);
    long heap = Runtime.getRuntime().maxMemory();
    CacheConfig cache;
    try {
      cache = new CacheConfig(CacheConfig.parseSize(cacheBytes), Duration.ofMillis(cacheTtlMs));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, "--cache-bytes: " + e.getMessage());
    }
    if (cache.enabled() && cache.maxBytes() + server.maxBytesInFlight() > heap * 3 / 4) {
      throw new CommandLine.ParameterException(cmd, String.format(java.util.Locale.ROOT,
          "--cache-bytes (%d MiB) and --max-bytes-in-flight (%d MiB) together leave less than a quarter of the "
              + "%d MiB heap for the rest: lower one of them, or give the balancer a larger heap "
              + "(IMAGEREC_BALANCER_HEAP=%dm bin/imagerec-balancer ..., with --max-bytes-in-flight at its default of "
              + "half the heap)", cache.maxBytes() >> 20, server.maxBytesInFlight() >> 20, heap >> 20,
          (cache.maxBytes() >> 20) * 9 / 2));
    }
    if (server.maxBytesInFlight() > heap * 3 / 4) {
      log.warn("--max-bytes-in-flight {} is more than three quarters of the heap ({} bytes): an overload may "
          + "run the balancer out of memory instead of being refused", server.maxBytesInFlight(), heap);
    }
    TlsConfig workerSide = new TlsConfig(workerCert, workerKey, workerCa);
    String badTls = workerSide.problem("--worker-cert", "--worker-key", "--worker-ca");
    if (badTls != null) {
      throw new CommandLine.ParameterException(cmd, badTls);
    }
    Picker.Policy picking;
    try {
      picking = Picker.Policy.valueOf(policy.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, "--policy must be least-outstanding, least-latency or round-robin");
    }
    List<String> addresses = clean(workers);
    BalancerConfig config;
    try {
      addresses.forEach(address -> HostPort.parse(address, "--workers")); // DiscoveryConfig takes tests' names too
      config = new BalancerConfig(server,
          new DiscoveryConfig(addresses, clean(discover), Duration.ofMillis(Math.max(100, discoveryIntervalMs)),
              Duration.ofMillis(catalogIntervalMs)),
          new RoutingConfig(picking, ejectAfterFailures, Duration.ofMillis(ejectionMs), Duration.ofMillis(maxEjectionMs),
              maxEjectedPercent / 100.0),
          new ForwardingConfig(maxAttempts, retryBudget, maxInFlight, streamWindow), cache,
          new AdminConfig(adminHost, adminPort, adminPortFile, blankToNull(adminToken) != null ? adminToken : server.token()),
          new HttpConfig(httpHost, httpPort, Duration.ofMillis(httpTimeoutMs), httpThreads, httpPortFile,
              httpWorkersPanel),
          new WorkerChannelConfig(workerTls || workerCa != null || workerCert != null, workerSide, workerToken),
          eventLoopThreads > 0 ? eventLoopThreads : TransportThreads.defaultThreads());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, e.getMessage());
    }
    if (config.discovery().workers().isEmpty() && config.discovery().names().isEmpty()) {
      log.info("no --workers or --discover: waiting for workers to register (imagerec-worker --register-with)");
    }
    if (!config.discovery().names().isEmpty()) {
      // the JVM caches DNS answers for 30 s by default; keep them no longer than one discovery round,
      // so a scaled-up service's new addresses are seen at the next round
      java.security.Security.setProperty("networkaddress.cache.ttl",
          Long.toString(Math.max(1, config.discovery().interval().toSeconds())));
    }
    log.info("starting balancer with {}", config);
    BalancerServer balancer = BalancerServer.start(config);
    return balancer.serveUntilSignalled();
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static List<String> clean(List<String> values) {
    return values == null ? List.of() : values.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  public static void main(String[] args) {
    ServerLauncher.main(new BalancerMain(), args);
  }
}
