package imagerec.worker;

import imagerec.observability.Logging;
import imagerec.security.TlsConfig;
import imagerec.server.ServerConfig;
import imagerec.server.ServerLauncher;
import imagerec.server.ServerOptions;
import imagerec.worker.image.DecodeConfig;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.inference.InferencePace;
import imagerec.worker.model.ModelLoadException;
import imagerec.worker.model.ModelRepository;
import imagerec.worker.model.RepositoryConfig;
import imagerec.worker.registration.RegistrationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code imagerec-worker}: parses options (flags over {@code IMAGEREC_*} environment variables over
 * defaults), configures the PyTorch engine, and runs a {@link WorkerServer} until SIGTERM/SIGINT.
 */
@Command(name = "imagerec-worker", mixinStandardHelpOptions = true, version = "imagerec-worker 0.1.0",
    sortOptions = false, abbreviateSynopsis = true,
    description = "Serves imagerec.v1.Recognizer and the Open Inference Protocol: TorchScript and ONNX models run "
        + "by DJL (PyTorch, ONNX Runtime).",
    footer = {"", "An option with a variable (env ...) can also be set with it, the flag winning: "
        + "IMAGEREC_WORKER_PORT=50061.", "Exit codes: 0 stopped cleanly, 1 failed to "
        + "start (models, TLS files), 2 bad options or a port that cannot be bound."})
public final class WorkerMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);
  private static final ServerOptions.Defaults DEFAULTS = new ServerOptions.Defaults("IMAGEREC_WORKER_", 50061, 9091);

  @Option(names = "--models", paramLabel = "PATH", defaultValue = "${env:IMAGEREC_MODELS:-models}",
      description = "model repository folder, one sub-folder per model, or one model's own folder holding its "
          + "model.json, as KServe lays it out in /mnt/models (default: ${DEFAULT-VALUE})")
  Path models;

  @Option(names = "--model-name", paramLabel = "NAME", defaultValue = "${env:IMAGEREC_MODEL_NAME}",
      description = "name of the model when --models is one model's folder and its model.json names none "
          + "(default: the folder's name; KServe passes the InferenceService's name)")
  String modelName;

  @Option(names = "--default-model", paramLabel = "NAME", defaultValue = "${env:IMAGEREC_DEFAULT_MODEL}",
      description = "model used when a request names none (default: the first by name)")
  String defaultModel;

  @Option(names = "--name", paramLabel = "NAME", defaultValue = "${env:IMAGEREC_WORKER_NAME}",
      description = "name reported in responses (default: host:port)")
  String name;

  @Option(names = "--instances", paramLabel = "N", defaultValue = "${env:IMAGEREC_INSTANCES:-0}",
      description = "inference threads per model, each with its own predictor (default: one per core)")
  int instances;

  @Option(names = "--intra-op-threads", paramLabel = "N", defaultValue = "${env:IMAGEREC_INTRA_OP_THREADS:-1}",
      description = "threads inside one inference call, PyTorch and ONNX Runtime (default: ${DEFAULT-VALUE})")
  int intraOpThreads;

  @Option(names = "--max-batch-size", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_BATCH_SIZE:-8}",
      description = "most images in one inference call (default: ${DEFAULT-VALUE})")
  int maxBatchSize;

  @Option(names = "--max-batch-delay-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_MAX_BATCH_DELAY_MS:-0}",
      description = "wait up to this long for a batch to fill; 0 = run what is queued (default: ${DEFAULT-VALUE})")
  long maxBatchDelayMs;

  @Option(names = "--queue-capacity", paramLabel = "N", defaultValue = "${env:IMAGEREC_QUEUE_CAPACITY:-256}",
      description = "images waiting per model before requests are shed with RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE})")
  int queueCapacity;

  @Option(names = "--decode-threads", paramLabel = "N", defaultValue = "${env:IMAGEREC_DECODE_THREADS:-0}",
      description = "threads decoding images (default: one per core)")
  int decodeThreads;

  @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "${env:IMAGEREC_MAX_PIXELS:-16777216}",
      description = "largest image accepted, width x height (default: ${DEFAULT-VALUE})")
  long maxPixels;

  @Option(names = "--warmup-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_WARMUP_MS:-3000}",
      description = "before reporting SERVING, run synthetic images through every model for this long, so that "
          + "a (re)started worker serves its first calls at full speed instead of compiling its code under them; "
          + "0 = none (default: ${DEFAULT-VALUE})")
  long warmupMs;

  @Option(names = "--poll-interval-ms", paramLabel = "MS", defaultValue = "${env:IMAGEREC_POLL_INTERVAL_MS:-5000}",
      description = "rescan the model repository this often for added, changed or removed models; 0 = never (default: ${DEFAULT-VALUE})")
  long pollIntervalMs;

  @Option(names = "--register-with", defaultValue = "${env:IMAGEREC_REGISTER_WITH}", paramLabel = "HOST:PORT",
      description = "register with this balancer's admin port and stay in its rotation while running")
  String registerWith;

  @Option(names = "--register-tls", paramLabel = "true|false", defaultValue = "${env:IMAGEREC_REGISTER_TLS:-false}", fallbackValue = "true",
      arity = "0..1", description = "register over TLS (implied by --register-ca)")
  boolean registerTls;

  @Option(names = "--register-ca", defaultValue = "${env:IMAGEREC_REGISTER_CA}", paramLabel = "PEM",
      description = "trust the balancer's certificate signed by this CA (default: the system's CAs)")
  Path registerCa;

  @Option(names = "--register-cert", defaultValue = "${env:IMAGEREC_REGISTER_CERT}", paramLabel = "PEM",
      description = "client certificate for a balancer that requires mutual TLS (with --register-key)")
  Path registerCert;

  @Option(names = "--register-key", defaultValue = "${env:IMAGEREC_REGISTER_KEY}", paramLabel = "PEM",
      description = "the private key of --register-cert (PKCS#8 PEM)")
  Path registerKey;

  @Option(names = "--register-token", defaultValue = "${env:IMAGEREC_REGISTER_TOKEN}", paramLabel = "TOKEN",
      description = "the balancer's admin token, sent with the registration")
  String registerToken;

  @Option(names = "--advertise", defaultValue = "${env:IMAGEREC_ADVERTISE}", paramLabel = "HOST:PORT",
      description = "the address a balancer should dial (default: this host's name and the bound port)")
  String advertise;

  @Option(names = "--slowdown", defaultValue = "1", hidden = true,
      description = "every inference takes this many times as long as the model needs, the inference thread "
          + "waiting out the rest: a slow worker (a fraction of the capacity) for benchmarks")
  double slowdown;

  @Option(names = "--min-inference-ms", defaultValue = "0", hidden = true,
      description = "every inference call takes at least this long: a stand-in for a heavier model in overload tests")
  long minInferenceMs;

  @Mixin
  ServerOptions serverOptions = new ServerOptions();

  @Option(names = "--drain-file", defaultValue = "${env:IMAGEREC_DRAIN_FILE}", paramLabel = "PATH",
      description = "report NOT_SERVING while this file exists (balancers stop sending calls; those in flight finish), "
          + "SERVING again once it is removed")
  Path drainFile;

  @Option(names = "--check", description = "load and warm the models, report them, and exit (0 when all load)")
  boolean check;

  @Override
  public Integer call() throws Exception {
    CommandLine cmd = new CommandLine(this);
    int cores = Runtime.getRuntime().availableProcessors();
    String badLogFormat = Logging.checkFormat(System.getenv(Logging.FORMAT_VARIABLE));
    if (badLogFormat != null) {
      throw new CommandLine.ParameterException(cmd, badLogFormat);
    }
    ServerConfig server = serverOptions.config(cmd, DEFAULTS);
    RegistrationConfig registration = registration(cmd);
    if (!Files.isDirectory(models)) {
      throw new CommandLine.ParameterException(cmd, "model repository " + models + " is not a folder (set --models)");
    }
    WorkerConfig config;
    try {
      config = new WorkerConfig(server, name,
          new RepositoryConfig(models, modelName, defaultModel, Duration.ofMillis(Math.max(0, pollIntervalMs)),
              Duration.ofMillis(warmupMs)),
          new BatchingConfig(instances > 0 ? instances : cores, maxBatchSize, Duration.ofMillis(maxBatchDelayMs),
              queueCapacity),
          new DecodeConfig(decodeThreads > 0 ? decodeThreads : cores, 1024, maxPixels), intraOpThreads, registration,
          drainFile, new InferencePace(Duration.ofMillis(minInferenceMs), slowdown));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, e.getMessage());
    }
    log.info("starting worker with {}", config);
    configureEngine(config.intraOpThreads());
    if (check) {
      try (ModelRepository repository = ModelRepository.load(config.models(), config.batching(),
          config.intraOpThreads(), java.util.function.UnaryOperator.identity(), Runnable::run)) {
        repository.all().forEach(m -> System.out.println(m.config().name() + " " + m.config().version()
            + ": loaded, " + m.config().engineOrDefault().djlName() + ", "
            + m.kind().name().toLowerCase(java.util.Locale.ROOT) + " of " + m.outputSize()
            + ", input " + m.config().input()));
        return 0;
      } catch (ModelLoadException e) {
        System.err.println("imagerec-worker: " + e.getMessage());
        return 1;
      }
    }
    // no model that loads: ModelLoadException, which the launcher prints as one line, exit code 1
    return WorkerServer.start(config).serveUntilSignalled();
  }

  private RegistrationConfig registration(CommandLine cmd) {
    TlsConfig files = new TlsConfig(registerCert, registerKey, registerCa);
    String problem = files.problem("--register-cert", "--register-key", "--register-ca");
    if (problem != null) {
      throw new CommandLine.ParameterException(cmd, problem);
    }
    if (registerWith == null || registerWith.isBlank()) {
      return null;
    }
    try {
      return new RegistrationConfig(registerWith.strip(), advertise == null || advertise.isBlank() ? null : advertise.strip(),
          registerTls || registerCa != null || registerCert != null, files,
          registerToken == null || registerToken.isBlank() ? null : registerToken.strip());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, e.getMessage());
    }
  }

  /** PyTorch reads its thread counts once, when the engine loads; nothing is downloaded. */
  static void configureEngine(int intraOpThreads) {
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  public static void main(String[] args) {
    ServerLauncher.main(new WorkerMain(), args);
  }
}
