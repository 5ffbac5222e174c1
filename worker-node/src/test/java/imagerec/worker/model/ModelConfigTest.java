package imagerec.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  @TempDir
  Path dir;

  private static final String INPUT = "\"width\": 224, \"height\": 224, \"channels\": 3, \"mean\": [0.5], \"std\": [0.5]";

  private ModelConfig read(String json) throws IOException {
    Files.writeString(dir.resolve("model.json"), json);
    return ModelConfig.read(dir, "m", "1");
  }

  private String refused(String json) {
    return assertThrows(IOException.class, () -> read(json)).getMessage();
  }

  @Test
  void theBundledModelReadsWithTodaysDefaults() throws IOException {
    ModelConfig c = ModelConfig.read(Path.of("../models/fashion-mnist"), "x", "1");
    assertEquals(ModelConfig.Resize.STRETCH, c.input().resizeMode());
    assertEquals(ModelConfig.Kind.CLASSIFICATION, c.output().kindOrDefault());
    assertEquals(ModelConfig.Activation.SOFTMAX, c.output().activationOrDefault());
    assertEquals(ModelConfig.Engine.PYTORCH, c.engineOrDefault());
    assertTrue(c.input().applyExif());
    assertEquals(0.9332, c.training().get("heldOutAccuracyInProcess").getAsDouble());
  }

  @Test
  void aBareModelFileInKServesLayoutIsFoundAndAnOnnxShapeFillsTheGeometry() throws IOException {
    Files.writeString(dir.resolve("model.onnx"), "not read here");
    Files.writeString(dir.resolve("model.json"), "{\"input\": {\"mean\": [0.5], \"std\": [0.5], \"layout\": \"NHWC\"}}");
    boolean[] askedNhwc = new boolean[1];
    ModelConfig c = ModelConfig.read(dir, "served-name", "1", (file, engine, nhwc) -> {
      assertEquals(dir.resolve("model.onnx"), file);
      assertEquals(ModelConfig.Engine.ONNX_RUNTIME, engine);
      askedNhwc[0] = nhwc;
      return new int[] {3, 32, 48};
    });
    assertEquals("model.onnx", c.file(), "the folder's only model file, whatever its name");
    assertEquals("served-name", c.name());
    assertTrue(askedNhwc[0], "the layout tells where the channels are");
    assertEquals(3, c.input().channels());
    assertEquals(32, c.input().height());
    assertEquals(48, c.input().width());

    String missing = assertThrows(IOException.class,
        () -> ModelConfig.read(dir, "m", "1", (file, engine, nhwc) -> null)).getMessage();
    assertTrue(missing.contains("missing input.width"), missing);
    Files.writeString(dir.resolve("other.pt"), "two model files: neither is guessed");
    assertEquals("m.pt", ModelConfig.read(dir, "m", "1", (f, e, n) -> new int[] {1, 2, 2}).file());
  }

  @Test
  void anUnknownFieldIsNamedWithItsPlace() {
    assertTrue(refused("{\"input\": {" + INPUT + "}, \"topk\": 3}").contains("unknown field \"topk\""));
    String nested = refused("{\"input\": {" + INPUT + ", \"resizeto\": 256}}");
    assertTrue(nested.contains("unknown field \"input.resizeto\""), nested);
    assertTrue(nested.contains("resizeTo"), "lists the known fields: " + nested);
    assertTrue(refused("{\"input\": {" + INPUT + "}, \"output\": {\"kind\": \"embedding\", \"normalise\": true}}")
        .contains("\"output.normalise\""));
  }

  @Test
  void malformedJsonIsOneLineWithItsPlace() {
    String unclosed = refused("{bad json");
    assertTrue(unclosed.endsWith("model.json: not valid JSON for a model: Expected ':' at line 1 column 7 path $.bad"),
        unclosed);
    String wrongType = refused("{\"input\": {" + INPUT + "}, \"name\": [1]}");
    assertTrue(wrongType.endsWith("not valid JSON for a model: Expected STRING but was BEGIN_ARRAY at path $.name"), wrongType);
    for (String message : new String[] {unclosed, wrongType}) {
      assertTrue(message.lines().count() == 1 && !message.contains("Exception"), message);
    }
  }

  @Test
  void unknownChoicesAreRefused() {
    assertTrue(refused("{\"input\": {" + INPUT + ", \"resize\": \"fit\"}}").contains("input.resize \"fit\""));
    assertTrue(refused("{\"engine\": \"TensorFlow\", \"input\": {" + INPUT + "}}").contains("engine \"TensorFlow\""));
    assertTrue(refused("{\"input\": {" + INPUT + "}, \"output\": {\"kind\": \"detection\"}}").contains("output.kind"));
    assertTrue(refused("{\"input\": {" + INPUT + ", \"interpolation\": \"lanczos\"}}").contains("input.interpolation"));
  }

  @Test
  void impossibleGeometryIsRefused() {
    assertTrue(refused("{\"input\": {" + INPUT + ", \"resize\": \"shorter\", \"resizeTo\": 256}}")
        .contains("needs \"crop\": \"center\""));
    assertTrue(refused("{\"input\": {" + INPUT + ", \"resize\": \"shorter\", \"resizeTo\": 200, \"crop\": \"center\"}}")
        .contains("larger than the resized image"));
    assertTrue(refused("{\"input\": {" + INPUT + ", \"resize\": \"longer\", \"resizeTo\": 300}}")
        .contains("does not fit"));
    assertTrue(refused("{\"input\": {" + INPUT + ", \"resize\": \"longer\", \"pad\": 300}}").contains("input.pad"));
  }

  @Test
  void theIssuesExampleReads() throws IOException {
    ModelConfig c = read("{\"file\": \"m.onnx\", \"input\": {\"width\": 224, \"height\": 224, \"channels\": 3,"
        + " \"resize\": \"shorter\", \"resizeTo\": 256, \"crop\": \"center\", \"interpolation\": \"bicubic\","
        + " \"exif\": \"ignore\", \"mean\": [0.485, 0.456, 0.406], \"std\": [0.229, 0.224, 0.225],"
        + " \"colorOrder\": \"BGR\", \"layout\": \"NHWC\"},"
        + " \"output\": {\"kind\": \"classification\", \"activation\": \"sigmoid\", \"threshold\": 0.3}}");
    assertEquals(ModelConfig.Engine.ONNX_RUNTIME, c.engineOrDefault());
    assertEquals(ModelConfig.Interpolation.BICUBIC, c.input().interpolationMode());
    assertEquals(256, c.input().resizeToOrDefault());
    assertTrue(c.input().bgr() && c.input().nhwc() && !c.input().applyExif() && c.input().centerCrop());
    assertEquals(0.3f, c.output().threshold());
    ModelConfig e = read("{\"input\": {" + INPUT + "}, \"output\": {\"kind\": \"embedding\"}}");
    assertTrue(e.output().normalizeOrDefault());
  }
}
