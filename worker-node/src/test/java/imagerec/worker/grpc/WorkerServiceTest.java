package imagerec.worker.grpc;

import static imagerec.testing.Prometheus.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.testing.Prometheus;
import imagerec.testing.StreamCollector;
import imagerec.v1.GetModelRequest;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ListModelsResponse;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The worker's gRPC surface over an in-process transport, with the bundled model. */
class WorkerServiceTest {
  static final Path ROOT = InProcessWorker.ROOT;
  private static InProcessWorker worker;
  private static ManagedChannel channel;
  private static RecognizerGrpc.RecognizerBlockingStub stub;

  @BeforeAll
  static void start() throws Exception {
    worker = InProcessWorker.start("test-worker", Duration.ZERO, true);
    channel = worker.channel();
    stub = RecognizerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    worker.close();
  }

  private static ByteString sample(String label, int n) throws Exception {
    return ByteString.copyFrom(Files.readAllBytes(ROOT.resolve("samples").resolve(label).resolve(n + ".png")));
  }

  @Test
  void isServingOnceStarted() {
    assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
        .check(HealthCheckRequest.newBuilder().setService(RecognizerGrpc.SERVICE_NAME).build()).getStatus());
  }

  @Test
  void recognizesARealImageWithTypedResults() throws Exception {
    RecognizeResponse r = stub.recognize(RecognizeRequest.newBuilder().setRequestId("a")
        .setImage(sample("trouser", 0)).build());
    assertEquals("a", r.getRequestId());
    assertEquals("fashion-mnist", r.getModel());
    assertEquals("test-worker", r.getWorker());
    assertEquals(3, r.getClassificationsCount(), "model default top_k");
    assertEquals("Trouser", r.getClassifications(0).getLabel());
    assertEquals(1, r.getClassifications(0).getIndex());
    assertTrue(r.getClassifications(0).getScore() >= r.getClassifications(1).getScore());
    assertTrue(r.getTimings().getTotalMicros() > 0);
    assertTrue(r.getTimings().getBatchSize() >= 1);
  }

  @Test
  void responsesCarryTheWorkersLoadInTrailers() throws Exception {
    java.util.concurrent.atomic.AtomicReference<io.grpc.Metadata> trailers = new java.util.concurrent.atomic.AtomicReference<>();
    RecognizerGrpc.RecognizerBlockingStub capturing = stub.withInterceptors(
        io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(new java.util.concurrent.atomic.AtomicReference<>(), trailers));
    capturing.recognize(RecognizeRequest.newBuilder().setImage(sample("bag", 0)).build());
    assertEquals("1", trailers.get().get(imagerec.grpc.WireHeaders.IN_FLIGHT), "this call is the only one in flight");
    assertEquals("0", trailers.get().get(imagerec.grpc.WireHeaders.QUEUE_DEPTH));
  }

  @Test
  void topKSelectsHowManyLabels() throws Exception {
    RecognizeResponse r = stub.recognize(RecognizeRequest.newBuilder().setImage(sample("bag", 0)).setTopK(10).build());
    assertEquals(10, r.getClassificationsCount());
    double sum = r.getClassificationsList().stream().mapToDouble(c -> c.getScore()).sum();
    assertEquals(1.0, sum, 1e-3, "softmax over all labels");
  }

  @Test
  void badInputGetsTheDocumentedStatusAndTheWorkerCarriesOn() throws Exception {
    assertCode(Status.Code.INVALID_ARGUMENT, RecognizeRequest.newBuilder()
        .setImage(ByteString.copyFromUtf8("definitely not an image")).build());
    assertCode(Status.Code.INVALID_ARGUMENT, RecognizeRequest.newBuilder().build());
    assertCode(Status.Code.NOT_FOUND, RecognizeRequest.newBuilder().setImage(sample("bag", 0)).setModel("nope").build());
    assertCode(Status.Code.INVALID_ARGUMENT, RecognizeRequest.newBuilder().setImage(sample("bag", 0)).setTopK(11).build());
    assertCode(Status.Code.INVALID_ARGUMENT, RecognizeRequest.newBuilder().setImage(sample("bag", 0)).setTopK(-1).build());
    byte[] png = sample("bag", 0).toByteArray();
    assertCode(Status.Code.INVALID_ARGUMENT, RecognizeRequest.newBuilder()
        .setImage(ByteString.copyFrom(png, 0, png.length / 2)).build());
    assertEquals("Bag", stub.recognize(RecognizeRequest.newBuilder().setImage(sample("bag", 0)).build())
        .getClassifications(0).getLabel());
  }

  @Test
  void aMalformedRequestMessageIsInvalidArgumentNotInternal() throws Exception {
    io.grpc.MethodDescriptor<byte[], byte[]> raw = imagerec.grpc.ByteMarshaller.bytes(RecognizerGrpc.getRecognizeMethod(),
        io.grpc.MethodDescriptor.MethodType.UNARY);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls.blockingUnaryCall(
        channel, raw, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] {(byte) 0xff, 0x01, 0x02}));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals("Bag", stub.recognize(RecognizeRequest.newBuilder().setImage(sample("bag", 0)).build())
        .getClassifications(0).getLabel(), "the next request succeeds");
  }

  @Test
  void streamAnswersEveryItemAndABadItemDoesNotEndIt() throws Exception {
    StreamCollector responses = new StreamCollector();
    StreamObserver<RecognizeRequest> requests = RecognizerGrpc.newStub(channel).recognizeStream(responses);
    requests.onNext(RecognizeRequest.newBuilder().setRequestId("good-1").setImage(sample("sneaker", 0)).build());
    requests.onNext(RecognizeRequest.newBuilder().setRequestId("bad").setImage(ByteString.copyFromUtf8("junk")).build());
    requests.onNext(RecognizeRequest.newBuilder().setRequestId("good-2").setImage(sample("coat", 0)).build());
    requests.onCompleted();
    assertTrue(responses.await(Duration.ofSeconds(30)));
    assertEquals(null, responses.failure());
    Map<String, RecognizeResponse> results = responses.byRequestId();
    assertEquals(3, results.size());
    assertEquals("Sneaker", results.get("good-1").getClassifications(0).getLabel());
    assertEquals("Coat", results.get("good-2").getClassifications(0).getLabel());
    assertEquals(Status.Code.INVALID_ARGUMENT.value(), results.get("bad").getError().getCode());
    assertFalse(results.get("bad").getError().getMessage().isEmpty());
  }

  @Test
  void listsAndDescribesModels() {
    ListModelsResponse models = stub.listModels(ListModelsRequest.getDefaultInstance());
    assertEquals("fashion-mnist", models.getDefaultModel());
    assertEquals(10, models.getModels(0).getLabelsCount());
    assertEquals(28, stub.getModel(GetModelRequest.getDefaultInstance()).getInput().getWidth());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.getModel(GetModelRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
  }

  private static void assertCode(Status.Code code, RecognizeRequest request) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.recognize(request));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertFalse(e.getStatus().getDescription().isBlank());
  }

  @Test
  void metricsCountImagesByModelAndStatusAndTimeEachStage() throws Exception {
    String before = scrape();
    stub.recognize(RecognizeRequest.newBuilder().setImage(sample("bag", 0)).build());
    stub.recognize(RecognizeRequest.newBuilder().setImage(sample("coat", 0)).setModel("fashion-mnist").build());
    assertCode(Status.Code.NOT_FOUND, RecognizeRequest.newBuilder().setImage(sample("bag", 0)).setModel("made-up").build());
    assertCode(Status.Code.INVALID_ARGUMENT, RecognizeRequest.newBuilder().setImage(ByteString.copyFromUtf8("x")).build());
    String after = scrape();

    String ok = "imagerec_worker_recognitions_total{model=\"fashion-mnist\",process=\"worker\",status=\"OK\"}";
    assertEquals(2, value(after, ok) - value(before, ok), 1e-9);
    String unknown = "imagerec_worker_recognitions_total{model=\"unknown\",process=\"worker\",status=\"NOT_FOUND\"}";
    assertEquals(1, value(after, unknown) - value(before, unknown), 1e-9, "unknown model names share one series");
    String invalid = "imagerec_worker_recognitions_total{model=\"fashion-mnist\",process=\"worker\",status=\"INVALID_ARGUMENT\"}";
    assertEquals(1, value(after, invalid) - value(before, invalid), 1e-9);
    for (String stage : new String[] {"decode", "queue", "inference", "total"}) {
      String count = "imagerec_worker_recognition_duration_seconds_count{model=\"fashion-mnist\",process=\"worker\",stage=\""
          + stage + "\"}";
      assertEquals(2, value(after, count) - value(before, count), 1e-9, stage);
    }
    assertTrue(after.contains("imagerec_worker_batch_size_bucket{model=\"fashion-mnist\",process=\"worker\",le=\"1.0\"}"));
    assertEquals(0, value(after, "imagerec_worker_queue_depth{model=\"fashion-mnist\",process=\"worker\"}"));
    assertEquals(64, value(after, "imagerec_worker_queue_capacity{model=\"fashion-mnist\",process=\"worker\"}"));
    assertTrue(after.contains("grpc_server_processing_duration_seconds_count{method=\"Recognize\""), "gRPC calls");
    assertFalse(after.contains("made-up"));
  }

  private static String scrape() throws Exception {
    return Prometheus.scrape(worker.server().metricsPort());
  }

}
