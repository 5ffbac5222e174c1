package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.cli.ImagerecCommand;
import imagerec.testing.Await;
import imagerec.testing.CommandRun;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.WorkerStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The balancer's web page in a real browser: Debian's Chromium driven by playwright-core from
 * {@code integration-tests/web/page-test.mjs} (installed by {@code bin/test}), against real
 * worker and balancer processes.
 */
class WebPageTest {
  private static final Path WEB = ProcessCluster.ROOT.resolve("integration-tests/web");
  private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

  @BeforeAll
  static void browserIsInstalled() {
    assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: bin/test installs Debian's chromium");
    assertTrue(Files.isDirectory(WEB.resolve("node_modules/playwright-core")),
        "playwright-core is missing: bin/test runs npm ci --prefix integration-tests/web");
  }

  @Test
  void aPersonDropsImagesSeesThemRecognizedAndWatchesTheWorkers() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("web-page", 2, Map.of(), "--http-port", "0",
        "--cache-bytes", "8m")) {
      awaitCatalogs(cluster);
      String admin = cluster.adminAddress();
      String output = browse("page", Map.of(
          "IMAGEREC_URL", "http://127.0.0.1:" + cluster.httpPort() + "/",
          "IMAGEREC_WORKERS", "2",
          "IMAGEREC_SCREENSHOT", ProcessCluster.ROOT.resolve("integration-tests/target/web-page.png").toString()),
          address -> {
            CommandRun drained = CommandRun.of(ImagerecCommand.commandLine(), "workers", "drain", "--target", admin, address);
            assertEquals(0, drained.code(), drained.err());
          });
      assertTrue(output.contains("PASSED page"), output);
    }
  }

  @Test
  void withTokensThePageAsksForThemAndTheApiRefusesCallsWithout() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("web-page-token", 1, Map.of(), "--http-port", "0",
        "--token", "client-secret", "--admin-token", "admin-secret")) {
      String output = browse("token", Map.of(
          "IMAGEREC_URL", "http://127.0.0.1:" + cluster.httpPort() + "/",
          "IMAGEREC_TOKEN", "client-secret",
          "IMAGEREC_ADMIN_TOKEN", "admin-secret"), address -> { });
      assertTrue(output.contains("PASSED token"), output);
    }
  }

  /**
   * Returns once the balancer knows every worker's models (their catalogs, as the admin API lists
   * them): from then on it caches answers, so the page's first upload of an image is kept.
   */
  private static void awaitCatalogs(ProcessCluster cluster) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.adminAddress()).usePlaintext().build();
    try {
      BalancerAdminGrpc.BalancerAdminBlockingStub admin = BalancerAdminGrpc.newBlockingStub(channel);
      Await.until(() -> {
        List<WorkerStatus> workers = admin.withDeadlineAfter(10, TimeUnit.SECONDS)
            .listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList();
        return workers.size() == 2 && workers.stream().allMatch(w -> w.getServedModelsCount() > 0);
      }, Duration.ofSeconds(30), Duration.ofMillis(100), "the balancer knows both workers' models");
    } finally {
      channel.shutdownNow();
    }
  }

  private interface Drainer {
    void drain(String address) throws Exception;
  }

  /** Runs one scenario of page-test.mjs; answers its "DRAIN address" line; returns all it printed. */
  private static String browse(String scenario, Map<String, String> env, Drainer drainer) throws Exception {
    List<String> command = List.of("node", WEB.resolve("page-test.mjs").toString(), scenario);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> all = new HashMap<>(env);
    all.put("IMAGEREC_SAMPLES", ProcessCluster.ROOT.resolve("samples").toString());
    all.put("CHROMIUM", CHROMIUM.toString());
    builder.environment().putAll(all);
    Process node = builder.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
         Writer in = new OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8)) {
      String line;
      while ((line = out.readLine()) != null) {
        lines.add(line);
        System.out.println("[page-test " + scenario + "] " + line);
        if (line.startsWith("DRAIN ")) {
          drainer.drain(line.substring("DRAIN ".length()).strip());
          in.write("drained\n");
          in.flush();
        }
      }
    } finally {
      if (!node.waitFor(180, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
    String output = String.join("\n", lines);
    assertEquals(0, node.exitValue(), output);
    return output;
  }
}
