package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import imagerec.cli.bench.LoadGenerator;
import imagerec.cli.bench.LoadRun;
import imagerec.cli.bench.UnarySender;
import imagerec.testing.CommandRun;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The balancer killed (SIGKILL) and started again on its port while clients send calls: a stub
 * with the documented client policy (client-cli's service-config.json: retry UNAVAILABLE and, for
 * recognitions, UNKNOWN, which grpc-java at times reports for a connection lost under a call; plus
 * wait-for-ready) loses no call, and neither does the CLI with {@code --wait-for-ready}.
 */
class BalancerRestartTest {

  /** The documented policy, read from the file the CLI itself uses. */
  @SuppressWarnings("unchecked")
  static Map<String, ?> documentedPolicy() throws Exception {
    try (InputStream in = imagerec.cli.ImagerecCommand.class.getResourceAsStream("service-config.json")) {
      return new Gson().fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), Map.class);
    }
  }

  @Test
  void clientsWithTheDocumentedPolicyRideThroughABalancerRestart() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("balancer-restart", 2)) {
      ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.balancer().address()).usePlaintext()
          .defaultServiceConfig(documentedPolicy()).enableRetry().build();
      RecognizeRequest request = RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)))).build();
      LoadRun load = new LoadGenerator(List.of(request)).keepingCalls().startClosedLoop(new UnarySender(RecognizerGrpc.newStub(channel).withWaitForReady(), Duration.ofSeconds(20)), 4);
      Duration step = Figures.seconds(8);
      String sample = EndToEndTest.samples().get(0).toString();
      CompletableFuture<CommandRun> cli = CompletableFuture.supplyAsync(() -> CommandLineTest.imagerec(
          "bench", "--target", cluster.balancer().address(), "--wait-for-ready", "--deadline", "20s",
          "--rate", "20,20", "--duration", step.toMillis() + "ms", "--warmup", "0s", "--json",
          sample));
      Figures.hold(2);
      long killedAt = System.nanoTime();
      ProcessCluster.kill(cluster.balancer());
      cluster.restart(cluster.balancer());
      long servingAt = System.nanoTime();
      Figures.hold(2);
      long firstOk = load.calls().stream().filter(o -> o.at() > servingAt && o.ok())
          .mapToLong(LoadRun.Call::at).min().orElse(-1);
      CommandRun run = cli.get(2 * step.toSeconds() + 60, TimeUnit.SECONDS);
      load.stop(Duration.ofSeconds(30));
      channel.shutdownNow();

      Figures.report("balancer restart (stub)", "4 unary calls in flight, retry policy + wait-for-ready",
          "SIGKILL the balancer, start it again on its port", load.sent(), load.ok(), load.errors(), load.outstanding(),
          "balancer SERVING " + Figures.ms(servingAt - killedAt) + " after the kill"
              + (firstOk < 0 ? "" : "; first answer " + Figures.ms(firstOk - killedAt) + " after the kill"));
      List<JsonObject> steps = run.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
      long cliCalls = steps.stream().mapToLong(s -> s.get("calls").getAsLong()).sum();
      long cliOk = steps.stream().mapToLong(s -> s.get("ok").getAsLong()).sum();
      Figures.report("balancer restart (CLI)", "imagerec bench --rate 20 --wait-for-ready",
          "the same restart", cliCalls, cliOk, Map.of(), 0, "calls during the restart waited, none failed: "
              + steps.stream().map(s -> s.get("errors").toString()).toList());

      assertEquals(Map.of(), load.errors(), "the stub's calls failed");
      assertEquals(0, load.outstanding());
      assertTrue(firstOk > 0, "no call succeeded after the restart");
      assertEquals(0, run.code(), run.out() + run.err());
      assertEquals(2, steps.size(), run.out());
      for (JsonObject s : steps) {
        assertEquals("{}", s.get("errors").toString(), "CLI errors: " + run.out());
        assertTrue(s.get("ok").getAsLong() > 0, run.out());
      }
    }
  }
}
