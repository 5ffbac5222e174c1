package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
import imagerec.testing.Await;
import imagerec.testing.Collector;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol through a real balancer over two real workers: a client generated
 * from imagerec's .proto calls every RPC; REST with curl; a Node.js client (another language).
 */
class OpenInferenceProtocolTest {
  @TempDir
  Path tmp;

  @AutoClose
  private static ProcessCluster cluster;
  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
  private static List<Path> samples;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.start("open-inference-protocol", 2, Map.of(), "--http-port", "0");
    stub = GRPCInferenceServiceGrpc.newBlockingStub(cluster.channel());
    samples = EndToEndTest.samples();
    Await.until(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("fashion-mnist").build()).getReady(),
        Duration.ofSeconds(15), "the balancer knows the workers' models");
  }

  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub call() {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static List<ByteString> images(int from, int n) throws Exception {
    List<ByteString> images = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      images.add(ByteString.copyFrom(Files.readAllBytes(samples.get(i % samples.size()))));
    }
    return images;
  }

  static ModelInferRequest typed(String id, List<ByteString> images) {
    return ModelInferRequest.newBuilder().setModelName("fashion-mnist").setId(id)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES")
            .addShape(images.size()).setContents(InferTensorContents.newBuilder().addAllBytesContents(images)))
        .build();
  }

  static byte[] rawBytes(List<ByteString> images) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteString image : images) {
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(image.size()).array());
      out.writeBytes(image.toByteArray());
    }
    return out.toByteArray();
  }

  private static ModelInferRequest.InferRequestedOutputTensor classification(int k) {
    return ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("scores")
        .putParameters("classification", InferParameter.newBuilder().setInt64Param(k).build()).build();
  }

  /** The index of the best label of each image, as Recognize answers it through the balancer. */
  private static List<Integer> recognizeTop(List<ByteString> images) {
    RecognizerGrpc.RecognizerBlockingStub recognizer = cluster.recognizer();
    List<Integer> top = new ArrayList<>();
    for (ByteString image : images) {
      top.add(recognizer.withDeadlineAfter(30, TimeUnit.SECONDS)
          .recognize(RecognizeRequest.newBuilder().setImage(image).build()).getClassifications(0).getIndex());
    }
    return top;
  }

  @Test
  void healthAndMetadataThroughTheBalancer() {
    assertTrue(call().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    assertTrue(call().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    assertEquals("classification", call().serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensions(0));
    assertTrue(call().serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensionsList()
        .contains("binary_tensor_data"), "the HTTP port serves Triton's binary data extension");
    assertFalse(call().modelReady(ModelReadyRequest.newBuilder().setName("nope").build()).getReady());
    ModelMetadataResponse m = call().modelMetadata(ModelMetadataRequest.newBuilder().setName("fashion-mnist").build());
    assertEquals("pytorch_libtorch", m.getPlatform());
    assertEquals(List.of("image", "input"), m.getInputsList().stream().map(t -> t.getName()).toList());
    assertEquals(List.of(-1L, 10L), m.getOutputs(0).getShapeList());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> call().modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
  }

  @Test
  void everySampleGetsRecognizesAnswerInBatchesOfEightTypedAndRaw() throws Exception {
    int n = samples.size() - samples.size() % 8;
    List<ByteString> all = images(0, n);
    List<Integer> expected = recognizeTop(all);
    int agree = 0;
    for (int from = 0; from < n; from += 8) {
      List<ByteString> batch = all.subList(from, from + 8);
      ModelInferResponse typed = call().modelInfer(typed("b" + from, batch));
      assertEquals("b" + from, typed.getId());
      assertEquals(List.of(8L, 10L), typed.getOutputs(0).getShapeList());
      ModelInferResponse top1 = call().modelInfer(ModelInferRequest.newBuilder(typed("r" + from, batch))
          .clearInputs().addInputs(typed("", batch).getInputs(0).toBuilder().clearContents())
          .addRawInputContents(ByteString.copyFrom(rawBytes(batch))).addOutputs(classification(1)).build());
      ByteBuffer raw = top1.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      List<Float> scores = typed.getOutputs(0).getContents().getFp32ContentsList();
      for (int i = 0; i < 8; i++) {
        byte[] element = new byte[raw.getInt()];
        raw.get(element);
        int index = Integer.parseInt(new String(element, StandardCharsets.UTF_8).split(":")[1]);
        int best = 0;
        for (int j = 1; j < 10; j++) {
          best = scores.get(i * 10 + j) > scores.get(i * 10 + best) ? j : best;
        }
        assertEquals(best, index, "typed scores and the classification extension agree");
        agree += index == expected.get(from + i) ? 1 : 0;
      }
    }
    assertEquals(n, agree, "the protocol answers every image as Recognize does");
  }

  @Test
  void errorsHaveTheDocumentedCodesAndNameTheTensorOrImage() throws Exception {
    List<ByteString> batch = new ArrayList<>(images(0, 8));
    batch.set(5, ByteString.copyFromUtf8("not an image"));
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> call().modelInfer(typed("x", batch)));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
    assertTrue(bad.getStatus().getDescription().contains("image 5 of 8"), bad.getStatus().getDescription());
    StatusRuntimeException type = assertThrows(StatusRuntimeException.class, () -> call().modelInfer(
        typed("y", images(0, 1)).toBuilder().setInputs(0, typed("", images(0, 1)).getInputs(0).toBuilder()
            .setDatatype("UINT8")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, type.getStatus().getCode());
    assertTrue(type.getStatus().getDescription().contains("input 'image'"), type.getStatus().getDescription());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> call().modelInfer(typed("z", images(0, 1)).toBuilder().setModelName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    assertTrue(unknown.getStatus().getDescription().contains("fashion-mnist version"), unknown.getStatus().getDescription());
  }

  @Test
  void aLongStreamCarriesOnPastABadRequest() throws Exception {
    Collector<ModelStreamInferResponse> collector = new Collector<>();
    StreamObserver<ModelInferRequest> requests = GRPCInferenceServiceGrpc.newStub(cluster.channel())
        .withDeadlineAfter(60, TimeUnit.SECONDS).modelStreamInfer(collector);
    for (int i = 0; i < 100; i++) {
      List<ByteString> images = i == 50 ? List.of(ByteString.copyFromUtf8("junk")) : images(i, 2);
      requests.onNext(typed("s" + i, images));
    }
    requests.onCompleted();
    assertTrue(collector.await(Duration.ofSeconds(60)));
    assertEquals(null, collector.failure());
    List<ModelStreamInferResponse> answers = collector.messages();
    assertEquals(100, answers.size());
    for (ModelStreamInferResponse a : answers) {
      if (a.getInferResponse().getId().equals("s50")) {
        assertTrue(a.getErrorMessage().startsWith("INVALID_ARGUMENT"), a.getErrorMessage());
      } else {
        assertEquals("", a.getErrorMessage(), a.getInferResponse().getId());
        assertEquals(List.of(2L, 10L), a.getInferResponse().getOutputs(0).getShapeList());
      }
    }
  }

  private static String curl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "-w", "\n%{http_code}"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return out;
  }

  @Test
  void restWithCurlJsonAndBinary() throws Exception {
    String base = "http://127.0.0.1:" + cluster.httpPort();
    assertTrue(curl(base + "/v2/health/ready").endsWith("\n200"));
    assertTrue(curl(base + "/v2/models/fashion-mnist/ready").endsWith("\n200"));
    assertTrue(curl(base + "/v2/models/nope/ready").endsWith("\n400"));
    String metadata = curl(base + "/v2/models/fashion-mnist");
    assertTrue(metadata.contains("\"platform\":\"pytorch_libtorch\""), metadata);
    List<ByteString> images = images(0, 3);
    List<Integer> expected = recognizeTop(images);
    StringBuilder data = new StringBuilder();
    for (ByteString image : images) {
      data.append(data.length() == 0 ? "" : ",").append('"').append(Base64.getEncoder().encodeToString(image.toByteArray())).append('"');
    }
    String json = "{\"id\":\"rest-1\",\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[3],\"data\":["
        + data + "]}],\"outputs\":[{\"name\":\"scores\",\"parameters\":{\"classification\":1}}]}";
    Path body = tmp.resolve("infer.json");
    Files.writeString(body, json);
    String answer = curl("-H", "Content-Type: application/json", "--data-binary", "@" + body,
        base + "/v2/models/fashion-mnist/infer");
    assertTrue(answer.endsWith("\n200"), answer);
    JsonObject parsed = JsonParser.parseString(answer.substring(0, answer.lastIndexOf('\n'))).getAsJsonObject();
    assertEquals("rest-1", parsed.get("id").getAsString());
    var top = parsed.getAsJsonArray("outputs").get(0).getAsJsonObject().getAsJsonArray("data");
    for (int i = 0; i < 3; i++) {
      assertEquals((int) expected.get(i), Integer.parseInt(top.get(i).getAsString().split(":")[1]));
    }
    // Triton's binary data extension, as its HTTP client sends it: JSON header, then raw tensors
    byte[] raw = rawBytes(images);
    byte[] header = ("{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[3],\"parameters\":"
        + "{\"binary_data_size\":" + raw.length + "}}],\"parameters\":{\"binary_data_output\":true}}")
        .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(header);
    request.writeBytes(raw);
    Path binary = tmp.resolve("infer.bin");
    Files.write(binary, request.toByteArray());
    Path headers = tmp.resolve("headers.txt");
    String binaryAnswer = curl("-D", headers.toString(), "-H", "Content-Type: application/octet-stream",
        "-H", "Inference-Header-Content-Length: " + header.length, "--data-binary", "@" + binary,
        base + "/v2/models/fashion-mnist/infer");
    assertTrue(binaryAnswer.endsWith("\n200"), binaryAnswer);
    String responseHeaders = Files.readString(headers).toLowerCase();
    int jsonLength = Integer.parseInt(responseHeaders.split("inference-header-content-length: ")[1].split("\r\n")[0].strip());
    byte[] bytes = binaryAnswer.substring(0, binaryAnswer.lastIndexOf('\n')).getBytes(StandardCharsets.ISO_8859_1);
    assertTrue(new String(bytes, 0, jsonLength, StandardCharsets.UTF_8).contains("\"binary_data_size\":120"),
        "3 x 10 FP32 scores follow the JSON");
    assertEquals(jsonLength + 120, bytes.length);
    String unknown = curl("-H", "Content-Type: application/json", "--data-binary", "@" + body,
        base + "/v2/models/nope/infer");
    assertTrue(unknown.endsWith("\n404") && unknown.contains("\"error\""), unknown);
    String broken = curl("--data-binary", "{not json", base + "/v2/models/fashion-mnist/infer");
    assertTrue(broken.endsWith("\n400") && broken.contains("not valid JSON"), broken);
  }

  @Test
  void aNodeJsClientSpeaksTheProtocol() throws Exception {
    Path web = ProcessCluster.ROOT.resolve("integration-tests/web");
    assertTrue(Files.isDirectory(web.resolve("node_modules/@grpc/grpc-js")),
        "run 'npm ci --prefix integration-tests/web' (bin/test does)");
    List<String> command = new ArrayList<>(List.of("node", web.resolve("oip-client.mjs").toString(),
        cluster.balancer().address(), ProcessCluster.ROOT.resolve("proto/src/main/proto/inference/grpc_service.proto")
            .toString(), "fashion-mnist"));
    for (int i = 0; i < 4; i++) {
      command.add(samples.get(i).toString());
    }
    Process node = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(node.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, node.exitValue(), out);
    JsonObject result = JsonParser.parseString(out.strip().lines().reduce((a, b) -> b).orElse("")).getAsJsonObject();
    assertFalse(result.has("error"), out);
    assertTrue(result.get("ready").getAsBoolean());
    assertEquals("pytorch_libtorch", result.get("platform").getAsString());
    assertEquals("node-1", result.get("id").getAsString());
    assertEquals("NOT_FOUND", result.get("unknownModel").getAsString());
    List<Integer> expected = recognizeTop(images(0, 4));
    var top = result.getAsJsonArray("top");
    assertEquals(4, top.size());
    for (int i = 0; i < 4; i++) {
      assertEquals((int) expected.get(i), Integer.parseInt(top.get(i).getAsString().split(":")[1]), out);
    }
  }
}
