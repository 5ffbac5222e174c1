package imagerec.worker.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.InferParameter;
import imagerec.oip.InferTensorContents;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelMetadataRequest;
import imagerec.oip.ModelMetadataResponse;
import imagerec.oip.ModelReadyRequest;
import imagerec.oip.ModelStreamInferResponse;
import imagerec.oip.ServerLiveRequest;
import imagerec.oip.ServerMetadataRequest;
import imagerec.oip.ServerReadyRequest;
import imagerec.testing.Collector;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import imagerec.worker.image.ImageDecoder;
import imagerec.worker.image.Preprocessor;
import imagerec.worker.model.ModelConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Open Inference Protocol on a worker, over an in-process transport, with the bundled model. */
class InferenceServiceTest {
  static final Path ROOT = InProcessWorker.ROOT;
  static final List<String> LABELS = List.of("bag", "trouser", "sneaker", "coat", "dress", "sandal", "shirt",
      "pullover");
  private static InProcessWorker worker;
  private static ManagedChannel channel;
  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

  @BeforeAll
  static void start() throws Exception {
    worker = InProcessWorker.start("oip-worker", Duration.ofMillis(5), false);
    channel = worker.channel();
    stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    worker.close();
  }

  private static byte[] sample(String label) throws Exception {
    return Files.readAllBytes(ROOT.resolve("samples").resolve(label).resolve("0.png"));
  }

  private static List<ByteString> images() throws Exception {
    List<ByteString> images = new ArrayList<>();
    for (String label : LABELS) {
      images.add(ByteString.copyFrom(sample(label)));
    }
    return images;
  }

  private static ModelInferRequest.InferInputTensor.Builder imageTensor(int n) {
    return ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES").addShape(n);
  }

  private static ModelInferRequest typed(List<ByteString> images) {
    return ModelInferRequest.newBuilder().setModelName("fashion-mnist").setId("typed")
        .addInputs(imageTensor(images.size()).setContents(InferTensorContents.newBuilder().addAllBytesContents(images)))
        .build();
  }

  private static ModelInferRequest raw(List<ByteString> images) throws java.io.IOException {
    ByteString.Output out = ByteString.newOutput();
    for (ByteString image : images) {
      out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(image.size()).array(), 0, 4);
      image.writeTo(out);
    }
    return ModelInferRequest.newBuilder().setModelName("fashion-mnist").setId("raw")
        .addInputs(imageTensor(images.size())).addRawInputContents(out.toByteString()).build();
  }

  private static float[] floats(ByteString raw) {
    float[] values = new float[raw.size() / 4];
    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  private static int argmax(List<Float> values, int from, int n) {
    int best = from;
    for (int i = from; i < from + n; i++) {
      best = values.get(i) > values.get(best) ? i : best;
    }
    return best - from;
  }

  @Test
  void serverAndModelHealthAndMetadata() {
    assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName("fashion-mnist").build()).getReady());
    assertFalse(stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()).getReady());
    assertFalse(stub.modelReady(ModelReadyRequest.newBuilder().setName("fashion-mnist").setVersion("999").build())
        .getReady());
    assertEquals(List.of("classification"), stub.serverMetadata(ServerMetadataRequest.getDefaultInstance())
        .getExtensionsList());
    ModelMetadataResponse m = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("fashion-mnist").build());
    assertEquals("pytorch_libtorch", m.getPlatform());
    assertEquals(1, m.getVersionsCount());
    assertEquals("image", m.getInputs(0).getName());
    assertEquals("BYTES", m.getInputs(0).getDatatype());
    assertEquals(List.of(-1L), m.getInputs(0).getShapeList());
    assertEquals("input", m.getInputs(1).getName());
    assertEquals(List.of(-1L, 1L, 28L, 28L), m.getInputs(1).getShapeList());
    assertEquals("scores", m.getOutputs(0).getName());
    assertEquals(List.of(-1L, 10L), m.getOutputs(0).getShapeList());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
  }

  @Test
  void aBatchOfImagesGetsTheSameAnswersAsRecognize() throws Exception {
    List<ByteString> images = images();
    ModelInferResponse r = stub.modelInfer(typed(images));
    assertEquals("typed", r.getId());
    assertEquals("fashion-mnist", r.getModelName());
    ModelInferResponse.InferOutputTensor out = r.getOutputs(0);
    assertEquals("FP32", out.getDatatype());
    assertEquals(List.of((long) images.size(), 10L), out.getShapeList());
    List<Float> scores = out.getContents().getFp32ContentsList();
    RecognizerGrpc.RecognizerBlockingStub recognizer = RecognizerGrpc.newBlockingStub(channel);
    for (int i = 0; i < images.size(); i++) {
      var top = recognizer.recognize(RecognizeRequest.newBuilder().setImage(images.get(i)).build()).getClassifications(0);
      assertEquals(top.getIndex(), argmax(scores, i * 10, 10), "image " + i);
      assertEquals(top.getScore(), scores.get(i * 10 + top.getIndex()), 1e-6, "image " + i);
      double sum = 0;
      for (int j = 0; j < 10; j++) {
        sum += scores.get(i * 10 + j);
      }
      assertEquals(1.0, sum, 1e-4, "softmax scores of image " + i);
    }
    // raw in, raw out, the same numbers
    ModelInferResponse rawResponse = stub.modelInfer(raw(images));
    assertEquals(0, rawResponse.getOutputs(0).getContents().getFp32ContentsCount());
    float[] rawScores = floats(rawResponse.getRawOutputContents(0));
    assertEquals(scores.size(), rawScores.length);
    for (int i = 0; i < rawScores.length; i++) {
      assertEquals(scores.get(i), rawScores[i], 1e-6);
    }
  }

  @Test
  void preprocessedTensorsGiveTheSameScoresAsImages() throws Exception {
    ModelConfig.Input input = ModelConfig.read(ROOT.resolve("models/fashion-mnist"), "fashion-mnist", "1").input();
    byte[] bag = sample("bag");
    float[] tensor = new Preprocessor().toInput(new ImageDecoder(1 << 24).decode(bag), 1, input);
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName("fashion-mnist")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
            .addAllShape(List.of(2L, 1L, 28L, 28L)));
    InferTensorContents.Builder values = InferTensorContents.newBuilder();
    for (int copy = 0; copy < 2; copy++) {
      for (float v : tensor) {
        values.addFp32Contents(v);
      }
    }
    request.getInputsBuilder(0).setContents(values);
    List<Float> fromTensor = stub.modelInfer(request.build()).getOutputs(0).getContents().getFp32ContentsList();
    List<Float> fromImage = stub.modelInfer(typed(List.of(ByteString.copyFrom(bag))))
        .getOutputs(0).getContents().getFp32ContentsList();
    assertEquals(20, fromTensor.size());
    for (int i = 0; i < 10; i++) {
      assertEquals(fromImage.get(i), fromTensor.get(i), 1e-6);
      assertEquals(fromImage.get(i), fromTensor.get(10 + i), 1e-6);
    }
  }

  @Test
  void classificationExtensionReturnsTheBestLabels() throws Exception {
    List<ByteString> images = images().subList(0, 3);
    ModelInferRequest request = typed(images).toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("scores")
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(2).build()))
        .build();
    ModelInferResponse.InferOutputTensor out = stub.modelInfer(request).getOutputs(0);
    assertEquals("BYTES", out.getDatatype());
    assertEquals(List.of(3L, 2L), out.getShapeList());
    String[] first = out.getContents().getBytesContents(0).toStringUtf8().split(":");
    assertEquals("Bag", first[2]);
    assertEquals("8", first[1]);
    assertTrue(Float.parseFloat(first[0]) > Float.parseFloat(out.getContents().getBytesContents(1).toStringUtf8().split(":")[0]));
    assertEquals("Trouser", out.getContents().getBytesContents(2).toStringUtf8().split(":")[2]);
    // raw: 4-byte little-endian lengths, then the strings
    ModelInferResponse raw = stub.modelInfer(raw(images).toBuilder().addOutputs(request.getOutputs(0)).build());
    ByteBuffer b = raw.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    byte[] element = new byte[b.getInt()];
    b.get(element);
    assertEquals(out.getContents().getBytesContents(0).toStringUtf8(), new String(element, java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void mistakesAreInvalidArgumentNamingTheTensorAndTheWorkerCarriesOn() throws Exception {
    List<ByteString> images = images();
    assertRefused(Status.Code.INVALID_ARGUMENT, "datatype BYTES", typed(images).toBuilder()
        .setInputs(0, typed(images).getInputs(0).toBuilder().setDatatype("FP32")).build());
    assertRefused(Status.Code.INVALID_ARGUMENT, "has shape [3] but 8 elements", typed(images).toBuilder()
        .setInputs(0, typed(images).getInputs(0).toBuilder().setShape(0, 3)).build());
    List<ByteString> many = new ArrayList<>();
    for (int i = 0; i < 65; i++) {
      many.add(images.get(0));
    }
    assertRefused(Status.Code.INVALID_ARGUMENT, "batch of 65", typed(many));
    List<ByteString> oneBad = new ArrayList<>(images.subList(0, 4));
    oneBad.set(2, ByteString.copyFromUtf8("not an image"));
    assertRefused(Status.Code.INVALID_ARGUMENT, "image 2 of 4", typed(oneBad));
    assertRefused(Status.Code.INVALID_ARGUMENT, "unknown input 'pixels'", typed(images).toBuilder()
        .setInputs(0, typed(images).getInputs(0).toBuilder().setName("pixels")).build());
    assertRefused(Status.Code.INVALID_ARGUMENT, "unknown output 'probs'", typed(images).toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probs")).build());
    assertRefused(Status.Code.INVALID_ARGUMENT, "classification must be 1 to 10", typed(images).toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("scores")
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(11).build())).build());
    assertRefused(Status.Code.INVALID_ARGUMENT, "exactly one input", typed(images).toBuilder()
        .addInputs(typed(images).getInputs(0)).build());
    assertRefused(Status.Code.INVALID_ARGUMENT, "raw element 0 declares", ModelInferRequest.newBuilder()
        .setModelName("fashion-mnist").addInputs(imageTensor(1))
        .addRawInputContents(ByteString.copyFrom(new byte[] {(byte) 0xff, 0, 0, 0, 1})).build());
    assertRefused(Status.Code.INVALID_ARGUMENT, "shape [N, 1, 28, 28]", ModelInferRequest.newBuilder()
        .setModelName("fashion-mnist").addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input")
            .setDatatype("FP32").addAllShape(List.of(1L, 3L, 28L, 28L))).build());
    assertRefused(Status.Code.NOT_FOUND, "unknown model 'nope'", typed(images).toBuilder().setModelName("nope").build());
    assertRefused(Status.Code.NOT_FOUND, "version 999", typed(images).toBuilder().setModelVersion("999").build());
    assertEquals(8, stub.modelInfer(typed(images)).getOutputs(0).getShape(0), "still serving");
  }

  private static void assertRefused(Status.Code code, String message, ModelInferRequest request) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.modelInfer(request));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
  }

  @Test
  void aStreamAnswersEveryRequestAndCarriesOnPastABadOne() throws Exception {
    List<ByteString> images = images();
    Collector<ModelStreamInferResponse> collector = new Collector<>();
    StreamObserver<ModelInferRequest> requests = GRPCInferenceServiceGrpc.newStub(channel).modelStreamInfer(collector);
    for (int i = 0; i < 20; i++) {
      List<ByteString> batch = i == 7 ? List.of(ByteString.copyFromUtf8("junk")) : List.of(images.get(i % 8));
      requests.onNext(typed(batch).toBuilder().setId("r" + i).build());
    }
    requests.onCompleted();
    assertTrue(collector.await(Duration.ofSeconds(30)));
    List<ModelStreamInferResponse> answers = collector.messages();
    assertEquals(20, answers.size());
    for (ModelStreamInferResponse a : answers) {
      if (a.getInferResponse().getId().equals("r7")) {
        assertTrue(a.getErrorMessage().startsWith("INVALID_ARGUMENT: image 0 of 1"), a.getErrorMessage());
      } else {
        assertEquals("", a.getErrorMessage());
        assertEquals(List.of(1L, 10L), a.getInferResponse().getOutputs(0).getShapeList());
      }
    }
  }
}
