package imagerec.cli;

import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.CacheStats;
import imagerec.v1.CacheStatsRequest;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagerec cache}: the balancer's response cache figures, and clearing it. */
@Command(name = "cache", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Show the balancer's response cache: hits, misses, coalesced calls, evictions, entries, bytes.",
    footer = {"", "Talks to the balancer's admin port, as 'imagerec workers' does.",
        "", "Examples:", "  imagerec cache", "  imagerec cache --clear", "", ExitCodes.HELP})
final class CacheCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  TargetOptions target;

  @Option(names = "--clear", description = "drop every cached answer first")
  boolean clear;

  @Override
  public Integer call() throws Exception {
    WorkersCommand.useAdminPort(spec, target);
    PrintWriter out = spec.commandLine().getOut();
    try (Connection connection = target.connect()) {
      BalancerAdminGrpc.BalancerAdminBlockingStub admin = BalancerAdminGrpc.newBlockingStub(connection.channel())
          .withDeadlineAfter(target.callDeadline(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS);
      CacheStats s;
      try {
        s = clear ? admin.clearCache(CacheStatsRequest.getDefaultInstance())
            : admin.getCacheStats(CacheStatsRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        return Cli.callError(spec, e.getStatus(), target.target);
      }
      if (clear) {
        out.printf(Locale.ROOT, "cleared %d answers%n", s.getCleared());
      }
      long looked = s.getHits() + s.getMisses();
      out.printf(Locale.ROOT, "hits %d, misses %d (hit ratio %.3f), coalesced %d, evictions %d%n", s.getHits(),
          s.getMisses(), looked == 0 ? 0.0 : (double) s.getHits() / looked, s.getCoalesced(), s.getEvictions());
      out.printf(Locale.ROOT, "entries %d, %.1f of %.1f MiB%n", s.getEntries(), s.getBytes() / 1048576.0,
          s.getMaxBytes() / 1048576.0);
      out.flush();
      return ExitCodes.OK;
    }
  }
}
