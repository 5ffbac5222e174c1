package imagerec.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagerec health}: the grpc.health.v1 status of a target; exit 0 only when SERVING. */
@Command(name = "health", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Check a balancer's or worker's health (grpc.health.v1). Exit code 0 only when SERVING.",
    footer = {"", "Examples:", "  imagerec health", "  imagerec health --service imagerec.v1.Recognizer --wait 60s",
        "", ExitCodes.HELP})
final class HealthCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Option(names = "--service", defaultValue = "imagerec.v1.Recognizer",
      description = "service to check; \"\" for the whole server (default: ${DEFAULT-VALUE})")
  String service;

  @Option(names = "--wait", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "keep checking until SERVING or this much time has passed")
  Duration wait;

  @Override
  public Integer call() throws Exception {
    try (Connection connection = target.connect()) {
      long until = System.nanoTime() + (wait == null ? 0 : wait.toNanos());
      while (true) {
        String line;
        int code;
        try {
          HealthCheckResponse response = HealthGrpc.newBlockingStub(connection.channel())
              .withDeadlineAfter(target.callDeadline(Duration.ofSeconds(5)).toMillis(), TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.newBuilder().setService(service).build());
          line = response.getStatus().name();
          code = response.getStatus() == ServingStatus.SERVING ? ExitCodes.OK : ExitCodes.SOME_FAILED;
        } catch (StatusRuntimeException e) {
          Status status = e.getStatus();
          line = status.getCode() == Status.Code.NOT_FOUND
              ? "UNKNOWN service '" + service + "' at " + target.target
              : Cli.describe(status, target.target);
          code = status.getCode() == Status.Code.NOT_FOUND ? ExitCodes.SOME_FAILED : ExitCodes.forStatus(status);
        }
        if (code == ExitCodes.OK || System.nanoTime() - until >= 0) {
          (code == ExitCodes.OK ? spec.commandLine().getOut() : spec.commandLine().getErr()).println(line);
          spec.commandLine().getOut().flush();
          spec.commandLine().getErr().flush();
          return code;
        }
        connection.resetConnectBackoff();
        Thread.sleep(250);
      }
    }
  }
}
