package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import imagerec.cli.ImagerecCommand;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelMetadataRequest;
import imagerec.oip.ModelMetadataResponse;
import imagerec.testing.CommandRun;
import imagerec.v1.ListModelsRequest;
import imagerec.v1.ModelInfo;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real-world models through a real worker and balancer, against Python: torchvision architectures
 * exported as TorchScript and ONNX ({@code training/export_models.py}), real photographs and their
 * variants ({@code integration-tests/python/make_photos.py}), and the reference results of PIL,
 * torchvision and PyTorch ({@code integration-tests/python/reference.py}), all made at test time.
 *
 * <p>The sharpest check is the {@code input-probe} model, which returns its input: the tensor the
 * worker feeds a model is compared element by element with torchvision's. Figures are printed (and
 * quoted in docs/MODELS.md).
 */
class RealModelsTest {
  private static final Path TARGET = ProcessCluster.ROOT.resolve("integration-tests/target");
  private static final Path MODELS = TARGET.resolve("real-models");
  private static final Path PHOTOS = TARGET.resolve("photos");
  private static final Path REFERENCE = TARGET.resolve("photo-references");
  private static final float[] STD = {0.229f, 0.224f, 0.225f};
  private static final int PLANE = 224 * 224;

  @AutoClose
  private static ProcessCluster cluster;
  private static List<JsonObject> photos;
  private static JsonObject outputs;

  @BeforeAll
  static void exportModelsMakePhotosAndStart() throws Exception {
    python("training/export_models.py", "--out", MODELS.toString());
    python("integration-tests/python/make_photos.py", "--out", PHOTOS.toString());
    python("integration-tests/python/reference.py", "--photos", PHOTOS.toString(), "--models", MODELS.toString(),
        "--out", REFERENCE.toString());
    writeBrokenModels();
    photos = new ArrayList<>();
    JsonParser.parseString(Files.readString(PHOTOS.resolve("index.json"))).getAsJsonArray()
        .forEach(e -> photos.add(e.getAsJsonObject()));
    outputs = JsonParser.parseString(Files.readString(REFERENCE.resolve("outputs.json"))).getAsJsonObject();
    cluster = ProcessCluster.start(new ProcessCluster("real-models"), 1, Map.of(),
        List.of("--models", MODELS.toString(), "--instances", "2", "--max-batch-size", "4",
            "--max-batch-delay-ms", "20"), // a batch waits for the calls sent with it, whatever the decode pool's pace
        InsecureChannelCredentials.create(), InsecureChannelCredentials.create(), "--http-port", "0");
  }

  /** Two model folders that must be refused at load while the others serve. */
  private static void writeBrokenModels() throws IOException {
    Path typo = MODELS.resolve("broken-typo");
    Files.createDirectories(typo);
    Files.copy(MODELS.resolve("input-probe/input-probe.pt"), typo.resolve("broken-typo.pt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(typo.resolve("model.json"), Files.readString(MODELS.resolve("input-probe/model.json"))
        .replace("\"input-probe\"", "\"broken-typo\"").replace("\"resizeTo\"", "\"resizeto\""));
    Path labels = MODELS.resolve("broken-labels");
    Files.createDirectories(labels);
    Files.copy(MODELS.resolve("mobilenet-multilabel/mobilenet-multilabel.pt"), labels.resolve("mobilenet-multilabel.pt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(labels.resolve("model.json"), Files.readString(MODELS.resolve("mobilenet-multilabel/model.json"))
        .replace("\"mobilenet-multilabel\"", "\"broken-labels\""));
    Files.writeString(labels.resolve("synset.txt"), "a\nb\nc\n");
  }

  private static void python(String script, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3", ProcessCluster.ROOT.resolve(script).toString()));
    command.addAll(List.of(args));
    Path log = TARGET.resolve(Path.of(script).getFileName() + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      fail(script + " failed (Debian's python3-torch, python3-torchvision, python3-pil and python3-skimage are "
          + "needed; bin/test installs them):\n" + Files.readString(log));
    }
  }

  private static RecognizeResponse recognize(String model, String file, int topK) throws IOException {
    return cluster.recognizer().withDeadlineAfter(60, TimeUnit.SECONDS).recognize(RecognizeRequest.newBuilder()
        .setImage(ByteString.copyFrom(Files.readAllBytes(PHOTOS.resolve(file)))).setModel(model).setTopK(topK).build());
  }

  private static float[] reference(String file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(REFERENCE.resolve(file + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  private static float[] pythonOutput(String model, String file) {
    JsonArray values = outputs.getAsJsonObject(model).getAsJsonArray(file);
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i).getAsFloat();
    }
    return out;
  }

  /** All scores of a classification response, by label index. */
  private static float[] scores(RecognizeResponse r, int n) {
    float[] out = new float[n];
    r.getClassificationsList().forEach(c -> out[c.getIndex()] = c.getScore());
    return out;
  }

  private static double maxDifference(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void theModelInputMatchesTorchvisionWithinAGreyLevel() throws Exception {
    StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-26s %9s %9s %s%n", "image", "max", "mean", "reference"));
    List<String> failures = new ArrayList<>();
    for (JsonObject photo : photos) {
      String file = photo.get("file").getAsString();
      String kind = photo.get("reference").getAsString();
      RecognizeResponse r = recognize("input-probe", file, 0);
      float[] served = new float[r.getEmbeddingCount()];
      for (int i = 0; i < served.length; i++) {
        served[i] = r.getEmbedding(i);
      }
      float[] expected = reference(file);
      assertEquals(expected.length, served.length, file);
      double max = 0;
      double sum = 0;
      for (int i = 0; i < served.length; i++) {
        double grey = Math.abs(served[i] - expected[i]) * STD[i / PLANE] * 255; // back to 0..255 steps
        max = Math.max(max, grey);
        sum += grey;
      }
      double mean = sum / served.length;
      table.append(String.format(Locale.ROOT, "%-26s %9.3f %9.4f %s%n", file, max, mean, kind));
      double limit = photo.get("format").getAsString().equals("png") ? 1.0 : 2.0;
      if (max > limit + 1e-3 || mean >= 0.1) {
        failures.add(file + ": max " + max + " grey levels (limit " + limit + "), mean " + mean);
      }
    }
    System.out.print("model input against torchvision, in grey levels (1/255):\n" + table);
    assertTrue(failures.isEmpty(), String.join("\n", failures) + "\n" + table);
  }

  @Test
  void classifierScoresMatchPyTorchAndOnnxMatchesTorchScript() throws Exception {
    StringBuilder table = new StringBuilder();
    double worstPython = 0;
    double worstOnnx = 0;
    int sameTop1 = 0;
    for (JsonObject photo : photos) {
      String file = photo.get("file").getAsString();
      float[] torchScript = scores(recognize("resnet18", file, 1000), 1000);
      float[] onnx = scores(recognize("resnet18-onnx", file, 1000), 1000);
      float[] python = pythonOutput("resnet18", file);
      double vsPython = maxDifference(torchScript, python);
      double vsOnnx = maxDifference(torchScript, onnx);
      worstPython = Math.max(worstPython, vsPython);
      worstOnnx = Math.max(worstOnnx, vsOnnx);
      sameTop1 += argmax(torchScript) == argmax(python) ? 1 : 0;
      table.append(String.format(Locale.ROOT, "%-26s vs Python %.2e  ONNX vs TorchScript %.2e%n", file, vsPython, vsOnnx));
      if (photo.get("format").getAsString().equals("png")) {
        assertEquals(argmax(python), argmax(torchScript), file + ": top-1 as in PyTorch");
      }
    }
    System.out.printf(Locale.ROOT, "resnet18 softmax scores: worst difference against PyTorch %.2e, ONNX Runtime "
        + "against TorchScript %.2e, same top-1 as PyTorch on %d images%n%s", worstPython, worstOnnx, sameTop1, table);
    assertTrue(worstPython < 1e-3, "scores against PyTorch: " + worstPython + "\n" + table);
    assertTrue(worstOnnx < 1e-4, "ONNX Runtime against TorchScript: " + worstOnnx + "\n" + table);
  }

  private static int argmax(float[] values) {
    return IntStream.range(0, values.length).reduce((a, b) -> values[b] > values[a] ? b : a).orElseThrow();
  }

  @Test
  void sigmoidLabelsAreIndependentThresholdedAndMatchPyTorch() throws Exception {
    for (JsonObject photo : photos) {
      String file = photo.get("file").getAsString();
      if (!photo.get("format").getAsString().equals("png")) {
        continue;
      }
      RecognizeResponse r = recognize("mobilenet-multilabel", file, 20);
      float[] python = pythonOutput("mobilenet-multilabel", file);
      // the labels clearly over the 0.5 threshold are returned, those clearly under it are not
      List<Integer> served = r.getClassificationsList().stream().map(c -> c.getIndex()).toList();
      for (int i = 0; i < 20; i++) {
        if (Math.abs(python[i] - 0.5f) > 1e-4) {
          assertEquals(python[i] > 0.5f, served.contains(i), file + ": label " + i + " scored " + python[i]);
        }
      }
      assertTrue(served.size() > 0 && served.size() < 20, file + ": a multi-label answer, not all or none: " + served);
      for (int i = 1; i < served.size(); i++) {
        assertTrue(r.getClassifications(i - 1).getScore() >= r.getClassifications(i).getScore(), "best first");
      }
      r.getClassificationsList().forEach(c -> assertEquals(python[c.getIndex()], c.getScore(), 1e-4, file));
      // the ONNX export of the same network, fixed to batch 1, gives the same labels
      RecognizeResponse onnx = recognize("mobilenet-onnx", file, 20);
      float[] both = scores(onnx, 20);
      r.getClassificationsList().forEach(c -> assertEquals(c.getScore(), both[c.getIndex()], 1e-4, file + " onnx"));
    }
  }

  @Test
  void embeddingsAreUnitVectorsAsInPyTorchAndTopKIsRefused() throws Exception {
    for (JsonObject photo : photos) {
      String file = photo.get("file").getAsString();
      if (!photo.get("format").getAsString().equals("png")) {
        continue;
      }
      RecognizeResponse r = recognize("resnet18-embedding", file, 0);
      assertEquals(0, r.getClassificationsCount());
      float[] python = pythonOutput("resnet18-embedding", file);
      assertEquals(512, r.getEmbeddingCount());
      double dot = 0;
      double norm = 0;
      for (int i = 0; i < 512; i++) {
        dot += r.getEmbedding(i) * python[i];
        norm += r.getEmbedding(i) * r.getEmbedding(i);
      }
      assertEquals(1.0, norm, 1e-4, file + ": L2-normalised");
      assertTrue(dot > 0.9999, file + ": cosine with PyTorch's " + dot);
    }
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> recognize("resnet18-embedding", "chelsea.png", 3));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("embedding"), e.getStatus().getDescription());
  }

  /** A request of the inference protocol: {@code files} as one BYTES tensor, raw or typed. */
  private static ModelInferRequest infer(String model, List<String> files, boolean raw) throws IOException {
    List<ByteString> images = new ArrayList<>();
    for (String file : files) {
      images.add(ByteString.copyFrom(Files.readAllBytes(PHOTOS.resolve(file))));
    }
    ModelInferRequest typed = OpenInferenceProtocolTest.typed("real", images);
    ModelInferRequest.Builder b = typed.toBuilder().setModelName(model);
    if (raw) {
      b.setInputs(0, typed.getInputs(0).toBuilder().clearContents())
          .addRawInputContents(ByteString.copyFrom(OpenInferenceProtocolTest.rawBytes(images)));
    }
    return b.build();
  }

  /** Output 0 of a response, raw or typed, as floats. */
  private static float[] floats(ModelInferResponse r) {
    if (r.getRawOutputContentsCount() == 0) {
      List<Float> typed = r.getOutputs(0).getContents().getFp32ContentsList();
      float[] out = new float[typed.size()];
      IntStream.range(0, out.length).forEach(i -> out[i] = typed.get(i));
      return out;
    }
    ByteBuffer bytes = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(out);
    return out;
  }

  @Test
  void theInferenceProtocolAnswersOnnxAndEmbeddingModelsAsRecognizeDoes() throws Exception {
    List<String> files = photos.stream().map(p -> p.get("file").getAsString()).limit(6).toList();
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip =
        GRPCInferenceServiceGrpc.newBlockingStub(cluster.channel()).withDeadlineAfter(120, TimeUnit.SECONDS);
    for (String model : List.of("resnet18-onnx", "resnet18-embedding", "mobilenet-onnx")) {
      boolean embedding = model.endsWith("embedding");
      int width = embedding ? 512 : model.startsWith("mobilenet") ? 20 : 1000;
      ModelMetadataResponse meta = oip.modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build());
      assertEquals(model.endsWith("onnx") ? "onnxruntime_onnx" : "pytorch_libtorch", meta.getPlatform());
      assertEquals(embedding ? "embedding" : "scores", meta.getOutputs(0).getName());
      for (boolean raw : new boolean[] {false, true}) {
        ModelInferResponse r = oip.modelInfer(infer(model, files, raw));
        assertEquals(List.of((long) files.size(), (long) width), r.getOutputs(0).getShapeList(), model);
        float[] all = floats(r);
        for (int i = 0; i < files.size(); i++) {
          RecognizeResponse one = recognize(model, files.get(i), embedding ? 0 : width);
          for (int j = 0; j < width; j++) {
            float expected = embedding ? one.getEmbedding(j) : 0;
            if (!embedding) {
              int index = j;
              expected = one.getClassificationsList().stream().filter(c -> c.getIndex() == index)
                  .findFirst().map(c -> c.getScore()).orElse(0f);
            }
            assertEquals(expected, all[i * width + j], 1e-5, model + " " + files.get(i) + " [" + j + "] raw=" + raw);
          }
        }
      }
    }
  }

  /**
   * KServe's layout: the storage initializer leaves the uploaded model file, under whatever name, in
   * the folder the worker is given, beside the model.json the user adds; the model's name comes from
   * the command line and its input geometry from the ONNX file.
   */
  @Test
  void aKServeModelFolderServesUnderTheGivenNameWithTheOnnxShapeRead() throws Exception {
    Path mnt = TARGET.resolve("kserve-mnt/models");
    Files.createDirectories(mnt);
    Files.copy(MODELS.resolve("mobilenet-onnx/mobilenet-onnx.onnx"), mnt.resolve("model.onnx"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(MODELS.resolve("mobilenet-onnx/synset.txt"), mnt.resolve("synset.txt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    JsonObject json = JsonParser.parseString(Files.readString(MODELS.resolve("mobilenet-onnx/model.json"))).getAsJsonObject();
    json.remove("name");
    json.remove("file");
    JsonObject input = json.getAsJsonObject("input");
    input.remove("width");
    input.remove("height");
    input.remove("channels");
    Files.writeString(mnt.resolve("model.json"), json.toString());

    ProcessCluster.Node worker = cluster.startWorker("kserve-worker", "--models", mnt.toString(),
        "--model-name", "tagger", "--register-with", cluster.adminAddress());
    try {
      String log = Files.readString(cluster.logDir().resolve("kserve-worker.log"));
      assertTrue(log.contains("loaded model tagger version 1") && log.contains("input 3x224x224"), log);
      GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip = GRPCInferenceServiceGrpc.newBlockingStub(cluster.channel());
      List<String> files = photos.stream().map(p -> p.get("file").getAsString()).limit(3).toList();
      ModelInferResponse tagged = null;
      for (int i = 0; i < 100 && tagged == null; i++) { // until the balancer has polled the new worker's models
        try {
          tagged = oip.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(infer("tagger", files, false));
        } catch (StatusRuntimeException e) {
          assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
          Thread.sleep(100);
        }
      }
      assertTrue(tagged != null, "the balancer routes the KServe worker's model");
      float[] same = floats(oip.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(infer("mobilenet-onnx", files, false)));
      float[] got = floats(tagged);
      for (int i = 0; i < same.length; i++) {
        assertEquals(same[i], got[i], 1e-5, "the same file and preprocessing give the same scores");
      }
    } finally {
      ProcessCluster.stop(worker);
    }
  }

  @Test
  void manyConcurrentCallsShareBatchesOnBothEngines() throws Exception {
    byte[] image = Files.readAllBytes(PHOTOS.resolve("coffee.png"));
    RecognizerGrpc.RecognizerFutureStub futures = RecognizerGrpc.newFutureStub(cluster.channel());
    List<CompletableFuture<RecognizeResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      String model = i % 2 == 0 ? "resnet18-onnx" : "mobilenet-onnx";
      var call = futures.withDeadlineAfter(60, TimeUnit.SECONDS).recognize(RecognizeRequest.newBuilder()
          .setImage(ByteString.copyFrom(image)).setModel(model).build());
      CompletableFuture<RecognizeResponse> f = new CompletableFuture<>();
      call.addListener(() -> {
        try {
          f.complete(call.get());
        } catch (Exception ex) {
          f.completeExceptionally(ex);
        }
      }, Runnable::run);
      calls.add(f);
    }
    Map<String, Integer> biggestBatch = new HashMap<>();
    for (CompletableFuture<RecognizeResponse> f : calls) {
      RecognizeResponse r = f.get(90, TimeUnit.SECONDS);
      biggestBatch.merge(r.getModel(), r.getTimings().getBatchSize(), Math::max);
    }
    assertEquals(1, biggestBatch.get("mobilenet-onnx"), "an export fixed to batch 1 is fed batches of 1");
    assertTrue(biggestBatch.get("resnet18-onnx") > 1, "a dynamic batch dimension batches: " + biggestBatch);
  }

  @Test
  void brokenFoldersAreRefusedByNameWhileTheOthersServe() throws Exception {
    List<ModelInfo> models = cluster.recognizer().listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
    List<String> names = models.stream().map(ModelInfo::getName).toList();
    assertFalse(names.contains("broken-typo") || names.contains("broken-labels"), names.toString());
    assertTrue(names.containsAll(List.of("resnet18", "resnet18-onnx", "resnet18-embedding", "input-probe")), names.toString());
    ModelInfo embedding = models.stream().filter(m -> m.getName().equals("resnet18-embedding")).findFirst().orElseThrow();
    assertEquals("embedding", embedding.getKind());
    assertEquals(512, embedding.getEmbeddingSize());
    String log = Files.readString(cluster.logDir().resolve("worker-0.log"));
    assertTrue(log.contains("unknown field \\\"input.resizeto\\\"") || log.contains("unknown field \"input.resizeto\""),
        "the log names the unknown field");
    assertTrue(log.contains("returns 20 scores but synset.txt has 3 labels"), "the log names the mismatch");
  }

  @Test
  void theCommandLineAndHttpShowEmbeddingsAndKinds() throws Exception {
    String target = cluster.balancer().address();
    String photo = PHOTOS.resolve("chelsea.png").toString();
    CommandRun table = CommandRun.of(ImagerecCommand.commandLine(), "recognize", "--target", target,
        "--model", "resnet18-embedding", photo);
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().contains("embedding") && table.out().contains("512") && table.out().contains("norm 1.0000"),
        table.out());
    CommandRun json = CommandRun.of(ImagerecCommand.commandLine(), "recognize", "--target", target,
        "--model", "resnet18-embedding", "--json", photo);
    assertEquals(0, json.code(), json.err());
    assertEquals(512, JsonParser.parseString(json.lines().get(0)).getAsJsonObject().getAsJsonArray("embedding").size());
    CommandRun models = CommandRun.of(ImagerecCommand.commandLine(), "models", "--target", target);
    assertTrue(models.out().contains("resnet18-embedding  version 1  embedding") && models.out().contains("dimensions 512"),
        models.out());
    CommandRun eval = CommandRun.of(ImagerecCommand.commandLine(), "eval", "--target", target,
        "--model", "resnet18-embedding", "--dataset", ProcessCluster.ROOT.resolve("samples").toString());
    assertEquals(2, eval.code());
    assertTrue(eval.err().contains("is an embedding model"), eval.err());

    HttpResponse<String> http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + cluster.httpPort() + "/v1/recognize?model=resnet18-embedding"))
        .POST(HttpRequest.BodyPublishers.ofFile(Path.of(photo))).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, http.statusCode(), http.body());
    assertEquals(512, JsonParser.parseString(http.body()).getAsJsonObject().getAsJsonArray("embedding").size());
  }
}
