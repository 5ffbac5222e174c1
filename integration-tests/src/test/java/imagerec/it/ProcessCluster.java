package imagerec.it;

import imagerec.testing.ListeningProcess;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * Real worker and balancer processes on free loopback ports, started with this JVM's class path
 * and the bundled model. Each process writes its bound port to a file; logs go to
 * {@code target/it-logs}. Closing it kills whatever is still running.
 */
final class ProcessCluster implements AutoCloseable {
  static final Path ROOT = Path.of(System.getProperty("imagerec.root", "..")).toAbsolutePath().normalize();
  static final String RECOGNIZER = "imagerec.v1.Recognizer";

  /** A started process, the gRPC port it listens on and its metrics port. */
  record Node(String name, Process process, int port, int metricsPort) {
    String address() {
      return "localhost:" + port;
    }
  }

  private final Path dir;
  private final Map<String, List<String>> commands = new HashMap<>(); // name -> main class and options
  private final List<Node> workers = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private ManagedChannel channel; // the one channel() returns
  private final Map<String, String> env = new HashMap<>();
  private final Map<String, String> heaps = new HashMap<>(); // name -> -Xmx, when not 512m
  private Node balancer;

  ProcessCluster(String testName) throws IOException {
    dir = ROOT.resolve("integration-tests/target/it-logs").resolve(testName + "-" + System.nanoTime());
    Files.createDirectories(dir);
  }

  /** Starts a balancer with {@code args} (no static workers unless given) without waiting for workers. */
  Node startBalancer(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--host", "127.0.0.1"));
    all.addAll(adminArgs());
    all.addAll(List.of(args));
    balancer = launch("balancer", "imagerec.balancer.BalancerMain", all.toArray(String[]::new));
    return balancer;
  }

  /** Gives the process {@code name} (a worker's name, or "balancer") this heap, as {@code -Xmx} takes it. */
  ProcessCluster heap(String name, String size) {
    heaps.put(name, size);
    return this;
  }

  /** Starts one more worker with {@code extraArgs} and waits until it is SERVING. */
  Node startWorker(String name, String... extraArgs) throws Exception {
    return startWorker(name, InsecureChannelCredentials.create(), extraArgs);
  }

  /** As {@link #startWorker(String, String...)}, checking its health with {@code credentials}. */
  Node startWorker(String name, ChannelCredentials credentials, String... extraArgs) throws Exception {
    List<String> all = workerOptions(name);
    if (List.of(extraArgs).contains("--models")) {
      all.subList(0, 2).clear(); // the test's own models instead of the bundled ones
    }
    all.addAll(List.of(extraArgs));
    Node worker = launch(name, "imagerec.worker.WorkerMain", all.toArray(String[]::new));
    workers.add(worker);
    awaitServing(worker, 120, credentials);
    return worker;
  }

  /** Starts {@code n} workers and a balancer over them, and waits until the balancer is SERVING. */
  static ProcessCluster start(String testName, int n) throws Exception {
    return start(testName, n, Map.of());
  }

  /**
   * As {@link #start(String, int)}, with {@code env} added to every process's environment and
   * {@code balancerArgs} to the balancer's options.
   */
  static ProcessCluster start(String testName, int n, Map<String, String> env, String... balancerArgs)
      throws Exception {
    return start(new ProcessCluster(testName), n, env, List.of(), InsecureChannelCredentials.create(),
        InsecureChannelCredentials.create(), balancerArgs);
  }

  /**
   * The general form: {@code workerArgs} added to every worker's options, and the credentials the
   * cluster's health checks use toward workers and toward the balancer (for TLS set-ups).
   */
  static ProcessCluster start(ProcessCluster cluster, int n, Map<String, String> env, List<String> workerArgs,
                              ChannelCredentials toWorkers, ChannelCredentials toBalancer, String... balancerArgs)
      throws Exception {
    cluster.env.putAll(env);
    try {
      for (int i = 0; i < n; i++) {
        List<String> args = workerOptions("worker-" + i);
        if (workerArgs.contains("--models")) {
          args.subList(0, 2).clear(); // the test's own models instead of the bundled ones
        }
        args.addAll(workerArgs);
        cluster.workers.add(cluster.launch("worker-" + i, "imagerec.worker.WorkerMain", args.toArray(String[]::new)));
      }
      for (Node worker : cluster.workers) {
        awaitServing(worker, 120, toWorkers);
      }
      StringJoiner addresses = new StringJoiner(",");
      cluster.workers.forEach(w -> addresses.add(w.address()));
      List<String> args = new ArrayList<>(List.of("--workers", addresses.toString(), "--host", "127.0.0.1"));
      args.addAll(cluster.adminArgs());
      args.addAll(List.of(balancerArgs));
      if (args.contains("--http-port")) {
        args.addAll(List.of("--http-host", "127.0.0.1", "--http-port-file", cluster.dir.resolve("balancer.http-port").toString()));
      }
      cluster.balancer = cluster.launch("balancer", "imagerec.balancer.BalancerMain", args.toArray(String[]::new));
      awaitServing(cluster.balancer, 30, toBalancer);
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  List<Node> workers() {
    return workers;
  }

  Node balancer() {
    return balancer;
  }

  /** A plaintext channel to the balancer; closing the cluster shuts it down. */
  ManagedChannel channelToBalancer() {
    ManagedChannel made = ManagedChannelBuilder.forTarget(balancer.address()).usePlaintext()
        .maxInboundMessageSize(16 << 20).build();
    channels.add(made);
    return made;
  }

  /** The cluster's own plaintext channel to the balancer, made on first use and shut down with the cluster. */
  synchronized ManagedChannel channel() {
    if (channel == null) {
      channel = channelToBalancer();
    }
    return channel;
  }

  /** A blocking Recognizer stub on {@link #channel()}. */
  RecognizerGrpc.RecognizerBlockingStub recognizer() {
    return RecognizerGrpc.newBlockingStub(channel());
  }

  private Node launch(String name, String mainClass, String... args) throws Exception {
    List<String> remembered = new ArrayList<>(List.of(mainClass));
    remembered.addAll(List.of(args));
    commands.put(name, remembered);
    return launch(name, 0, mainClass, args);
  }

  /**
   * Starts {@code node}'s program again with the same options on the same port (after it was
   * killed or stopped), and waits until it is SERVING. It replaces the old node in {@link #workers()}.
   */
  Node restart(Node node) throws Exception {
    List<String> command = commands.get(node.name());
    Files.deleteIfExists(dir.resolve(node.name() + ".port"));
    Files.deleteIfExists(dir.resolve(node.name() + ".metrics-port"));
    Files.move(dir.resolve(node.name() + ".log"), dir.resolve(node.name() + "." + System.nanoTime() + ".log"));
    Node restarted = launch(node.name(), node.port(), command.get(0),
        command.subList(1, command.size()).toArray(String[]::new));
    int i = workers.indexOf(node);
    if (i >= 0) {
      workers.set(i, restarted);
    } else if (node.equals(balancer)) {
      balancer = restarted;
    }
    awaitServing(restarted, 120);
    return restarted;
  }

  /** Freezes a process (SIGSTOP): its sockets stay open, it answers nothing, as a hung process. */
  static void freeze(Node node) throws Exception {
    signal(node, "STOP");
  }

  /** Lets a frozen process go on (SIGCONT). */
  static void thaw(Node node) throws Exception {
    signal(node, "CONT");
  }

  private static void signal(Node node, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(node.process().pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + node.process().pid() + " failed");
    }
  }

  private Node launch(String name, int port, String mainClass, String... args) throws Exception {
    Path portFile = dir.resolve(name + ".port");
    Path metricsPortFile = dir.resolve(name + ".metrics-port");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heaps.getOrDefault(name, "512m"), "-XX:+UseSerialGC", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"), mainClass,
        "--port", Integer.toString(port), "--port-file", portFile.toString(),
        "--metrics-host", "127.0.0.1", "--metrics-port", "0", "--metrics-port-file", metricsPortFile.toString()));
    command.addAll(List.of(args));
    ListeningProcess started = ListeningProcess.start(command, env, dir.resolve(name + ".log"), portFile,
        Duration.ofSeconds(120));
    processes.add(started.process());
    return new Node(name, started.process(), started.port(), ListeningProcess.readPort(metricsPortFile));
  }

  /** Waits until {@code node}'s Recognizer health is SERVING. */
  static void awaitServing(Node node, int seconds) throws InterruptedException {
    awaitServing(node, seconds, InsecureChannelCredentials.create());
  }

  /** As {@link #awaitServing(Node, int)}, connecting with {@code credentials}. */
  static void awaitServing(Node node, int seconds, ChannelCredentials credentials) throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilder(node.address(), credentials).build();
    try {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        try {
          if (HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.newBuilder().setService(RECOGNIZER).build())
              .getStatus() == ServingStatus.SERVING) {
            return;
          }
        } catch (StatusRuntimeException e) {
          // not up yet
        }
        if (!node.process().isAlive()) {
          throw new IllegalStateException(node.name() + " died while starting");
        }
        if (System.nanoTime() > until) {
          throw new IllegalStateException(node.name() + " not SERVING after " + seconds + " s");
        }
        Thread.sleep(100);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** Kills a process at once (SIGKILL) and waits for it to be gone. */
  static void kill(Node node) throws InterruptedException {
    node.process().destroyForcibly();
    node.process().waitFor(30, TimeUnit.SECONDS);
  }

  /** Stops a process gracefully (SIGTERM) and returns its exit code. */
  static int stop(Node node) throws InterruptedException {
    node.process().destroy();
    if (!node.process().waitFor(30, TimeUnit.SECONDS)) {
      node.process().destroyForcibly();
      node.process().waitFor(10, TimeUnit.SECONDS);
    }
    return node.process().exitValue();
  }

  /** A worker's options: the bundled models, its name, loopback. */
  private static List<String> workerOptions(String name) {
    return new ArrayList<>(List.of("--models", ROOT.resolve("models").toString(), "--name", name, "--host", "127.0.0.1"));
  }

  private List<String> adminArgs() {
    return List.of("--admin-port", "0", "--admin-port-file", dir.resolve("balancer.admin-port").toString());
  }

  /** The balancer's admin address (BalancerAdmin, WorkerRegistration), on loopback. */
  String adminAddress() throws IOException {
    return "localhost:" + Integer.parseInt(Files.readString(dir.resolve("balancer.admin-port")).strip());
  }

  /** The balancer's HTTP upload port (started with {@code --http-port 0}). */
  int httpPort() throws IOException {
    return Integer.parseInt(Files.readString(dir.resolve("balancer.http-port")).strip());
  }

  Path logDir() {
    return dir;
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

}
