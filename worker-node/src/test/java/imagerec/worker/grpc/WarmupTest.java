package imagerec.worker.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.security.ByteBudget;
import imagerec.security.TokenAuthenticator;
import imagerec.worker.engine.RecognitionEngine;
import imagerec.worker.image.ImageDecoder;
import imagerec.worker.image.Preprocessor;
import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.model.ModelConfig;
import imagerec.worker.model.ModelRepository;
import imagerec.worker.model.RepositoryConfig;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The warm-up on start, over the bundled model, the worker's real service and a loopback Netty transport. */
class WarmupTest {
  private static final Path MODELS = Path.of("..").toAbsolutePath().normalize().resolve("models");
  private static ModelRepository models;
  private static ExecutorService decodePool;
  private static RecognitionEngine engine;

  @BeforeAll
  static void load() throws Exception {
    System.setProperty("ai.djl.offline", "true");
    models = ModelRepository.load(RepositoryConfig.of(MODELS), new BatchingConfig(2, 8, Duration.ZERO, 64), Runnable::run);
    decodePool = Executors.newFixedThreadPool(2);
    engine = new RecognitionEngine(models, new ImageDecoder(1 << 20), decodePool, new ByteBudget(1 << 24));
  }

  @AfterAll
  static void close() {
    decodePool.shutdownNow();
    models.close();
  }

  private static ModelConfig bundled() throws Exception {
    return models.describe(models.defaultModel()).config();
  }

  private static ServerServiceDefinition service() {
    return new RecognizerService(engine, models, "warmup-test").bindService();
  }

  @Test
  void imagesDecodeToEveryModelsInputInBothFormats() throws Exception {
    ModelConfig config = bundled();
    ImageDecoder decoder = new ImageDecoder(1 << 20);
    List<Warmup.Request> requests = Warmup.requests(List.of(config));
    assertEquals(2, requests.size());
    BufferedImage own = decoder.decode(requests.get(0).image());
    BufferedImage larger = decoder.decode(requests.get(1).image());
    assertEquals(config.input().width(), own.getWidth());
    assertEquals(config.input().width() * 2, larger.getWidth());
    assertEquals(1, own.getRaster().getNumBands(), "the bundled model is grayscale: so is its PNG");
    assertEquals(3, larger.getRaster().getNumBands(), "the JPEG takes the colour path");
    assertEquals(config.input().size(), new Preprocessor().toInput(larger, 1, config.input()).length);
  }

  @Test
  void callsTheServiceForTheGivenTimeAndStopsItsServer() throws Exception {
    Warmup.Result r = Warmup.run(service(), null, List.of(bundled()), Duration.ofMillis(500), 8);
    assertEquals(0, r.failed(), () -> "failed: " + r.firstFailure());
    assertTrue(r.calls() >= 8 * 2, "every caller sends both images: " + r.calls());
    assertTrue(r.took().compareTo(Duration.ofMillis(500)) >= 0, "took " + r.took());
    assertEquals(0, models.describe(models.defaultModel()).queueDepth());
    assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("warmup-")),
        "callers still running");
  }

  @Test
  void sendsTheTokenTheServiceRequires() throws Exception {
    ServerServiceDefinition guarded = ServerInterceptors.intercept(service(), new TokenAuthenticator("s3cret", "test"));
    Warmup.Result withToken = Warmup.run(guarded, "s3cret", List.of(bundled()), Duration.ofMillis(200), 2);
    assertEquals(0, withToken.failed(), () -> "failed: " + withToken.firstFailure());
    assertTrue(withToken.calls() >= 2 * 2, "calls answered: " + withToken.calls());
    Warmup.Result without = Warmup.run(guarded, null, List.of(bundled()), Duration.ofSeconds(30), 2);
    assertEquals(0, without.calls());
    assertEquals(Status.Code.UNAUTHENTICATED, ((StatusRuntimeException) without.firstFailure()).getStatus().getCode());
    assertTrue(without.took().compareTo(Duration.ofSeconds(10)) < 0, "every call failing ends it early: " + without.took());
  }

  @Test
  void aModelThatFailsEveryCallEndsTheWarmupEarlyWithTheReason() throws Exception {
    ModelConfig missing = new ModelConfig("no-such-model", "1", "", "x.pt", "synset.txt", null,
        ModelConfig.Input.of(8, 8, 1, new float[] {0}, new float[] {1}), ModelConfig.Output.DEFAULT, 1, null, null, null);
    Warmup.Result r = Warmup.run(service(), null, List.of(missing), Duration.ofSeconds(30), 2);
    assertEquals(0, r.calls());
    assertTrue(r.failed() >= 10);
    assertEquals(Status.Code.NOT_FOUND, ((StatusRuntimeException) r.firstFailure()).getStatus().getCode());
    assertTrue(r.took().compareTo(Duration.ofSeconds(10)) < 0, "gave up after " + r.took());
  }

  @Test
  void aTimeShorterThanOneCallStillSendsEveryImageFromEveryCaller() throws Exception {
    // The time counts from when the loopback server listens, and a host slow to start it (CI's, once)
    // must not end the warm-up before any image went through.
    Warmup.Result r = Warmup.run(service(), null, List.of(bundled()), Duration.ofNanos(1), 3);
    assertEquals(0, r.failed(), () -> "failed: " + r.firstFailure());
    assertTrue(r.calls() >= 3 * 2, "calls answered: " + r.calls());
  }

  @Test
  void zeroDurationSendsNothing() throws Exception {
    Warmup.Result r = Warmup.run(service(), null, List.of(bundled()), Duration.ZERO, 2);
    assertEquals(0, r.calls() + r.failed());
  }
}
