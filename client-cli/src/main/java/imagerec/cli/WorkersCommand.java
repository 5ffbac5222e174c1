package imagerec.cli;

import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.DrainWorkerRequest;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.ListWorkersResponse;
import imagerec.v1.WorkerStatus;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code imagerec workers}: the balancer's view of its workers; {@code drain} and {@code undrain}. */
@Command(name = "workers", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = {WorkersCommand.Drain.class, WorkersCommand.Undrain.class},
    description = "Show the balancer's workers: state, calls in flight, completed, failures.",
    footer = {"", "These commands talk to the balancer's admin port: --target if given, else",
        "IMAGEREC_ADMIN_TARGET, else " + WorkersCommand.ADMIN_TARGET + " (the balancer's --admin-port).",
        "", "Examples:", "  imagerec workers", "  imagerec workers --watch 1s",
        "  imagerec workers drain 10.0.0.7:50061", "", ExitCodes.HELP})
final class WorkersCommand implements Callable<Integer> {
  static final String ADMIN_TARGET = "localhost:50052";

  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Option(names = "--watch", arity = "0..1", fallbackValue = "2s", converter = DurationConverter.class,
      paramLabel = "INTERVAL", description = "refresh every INTERVAL (default 2s) until interrupted")
  Duration watch;

  @Override
  public Integer call() throws Exception {
    useAdminPort(spec, target);
    PrintWriter out = spec.commandLine().getOut();
    try (Connection connection = target.connect()) {
      BalancerAdminGrpc.BalancerAdminBlockingStub admin = BalancerAdminGrpc.newBlockingStub(connection.channel());
      while (true) {
        ListWorkersResponse response;
        try {
          response = admin.withDeadlineAfter(target.callDeadline(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS)
              .listWorkers(ListWorkersRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
          return Cli.callError(spec, e.getStatus(), target.target);
        }
        if (watch != null && System.console() != null) {
          out.print("\u001b[H\u001b[2J"); // clear the screen between refreshes on a terminal
        }
        print(out, response);
        if (watch == null) {
          return ExitCodes.OK;
        }
        out.println("-- " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + ", every " + watch.toMillis() + " ms; Ctrl-C to stop");
        out.flush();
        Thread.sleep(watch.toMillis());
      }
    }
  }

  static void print(PrintWriter out, ListWorkersResponse response) {
    int width = Math.max(7, response.getWorkersList().stream().mapToInt(w -> w.getAddress().length()).max().orElse(7));
    out.printf(Locale.ROOT, "%-" + width + "s  %-10s %-12s %9s %11s %9s %9s %6s %8s  %-20s %s%n", "ADDRESS", "SOURCE", "STATE",
        "IN-FLIGHT", "COMPLETED", "FAILURES", "EJECTIONS", "QUEUE", "LATENCY", "MODELS", "NOTE");
    for (WorkerStatus w : response.getWorkersList()) {
      out.println(row(w, width));
    }
    out.flush();
  }

  static String row(WorkerStatus w, int width) {
    String state = w.getState() == WorkerStatus.State.STATE_UNSPECIFIED ? "UNKNOWN" : w.getState().name();
    String note = "";
    if (w.getEjectedUntilUnixMs() > 0) {
      note = "ejected until " + java.time.Instant.ofEpochMilli(w.getEjectedUntilUnixMs()).truncatedTo(ChronoUnit.SECONDS);
    } else if (w.getOverloaded()) {
      note = "overloaded (shed calls)";
    }
    return String.format(Locale.ROOT, "%-" + width + "s  %-10s %-12s %9d %11d %9d %9d %6s %8s  %-20s %s", w.getAddress(), w.getSource(),
        state, w.getInFlight(), w.getCompleted(), w.getFailures(), w.getEjections(),
        w.getReportedQueueDepth() < 0 ? "-" : Integer.toString(w.getReportedQueueDepth()),
        w.getLatencyMs() > 0 ? String.format(Locale.ROOT, "%.2fms", w.getLatencyMs()) : "-", models(w), note).stripTrailing();
  }

  /** The worker's models as NAME@VERSION, its default one marked with *; "-" before it said. */
  static String models(WorkerStatus w) {
    if (w.getServedModelsCount() == 0) {
      return w.getModelsCount() == 0 ? "-" : String.join(",", w.getModelsList());
    }
    return w.getServedModelsList().stream()
        .map(m -> m.getName() + "@" + m.getVersion() + (m.getIsDefault() ? "*" : ""))
        .collect(java.util.stream.Collectors.joining(","));
  }

  /** Points {@code options} at the admin port unless {@code --target} was given. */
  static void useAdminPort(CommandSpec spec, TargetOptions options) {
    if (!spec.commandLine().getParseResult().hasMatchedOption("--target")) {
      String env = System.getenv("IMAGEREC_ADMIN_TARGET");
      options.target = env != null && !env.isBlank() ? env.strip() : ADMIN_TARGET;
    }
  }

  /** {@code drain} and {@code undrain}: one worker's address, one admin call, the worker's new row. */
  abstract static class Draining implements Callable<Integer> {
    private final boolean drain;

    @Spec
    CommandSpec spec;

    @Mixin
    TargetOptions target;

    @Parameters(paramLabel = "ADDRESS", description = "the worker's address as 'imagerec workers' shows it")
    String address;

    Draining(boolean drain) {
      this.drain = drain;
    }

    @Override
    public Integer call() throws InterruptedException {
      useAdminPort(spec, target);
      try (Connection connection = target.connect()) {
        BalancerAdminGrpc.BalancerAdminBlockingStub admin = BalancerAdminGrpc.newBlockingStub(connection.channel())
            .withDeadlineAfter(target.callDeadline(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS);
        DrainWorkerRequest request = DrainWorkerRequest.newBuilder().setAddress(address).build();
        WorkerStatus status = drain ? admin.drainWorker(request) : admin.undrainWorker(request);
        spec.commandLine().getOut().println(row(status, address.length()));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
      } catch (StatusRuntimeException e) {
        return Cli.callError(spec, e.getStatus(), target.target);
      }
    }
  }

  /** {@code imagerec workers drain ADDRESS}. */
  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Take a worker out of rotation: no new calls; calls in flight finish.")
  static final class Drain extends Draining {
    Drain() {
      super(true);
    }
  }

  /** {@code imagerec workers undrain ADDRESS}. */
  @Command(name = "undrain", mixinStandardHelpOptions = true,
      description = "Put a drained worker back into rotation (once it is healthy).")
  static final class Undrain extends Draining {
    Undrain() {
      super(false);
    }
  }
}
