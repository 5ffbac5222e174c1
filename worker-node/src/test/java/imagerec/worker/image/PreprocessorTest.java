package imagerec.worker.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import imagerec.worker.model.ModelConfig;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class PreprocessorTest {
  private final Preprocessor preprocessor = new Preprocessor();

  @Test
  void grayImageOfModelSizeIsNormalizedWithoutColourConversion() {
    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(0, 0, 0, 51);
    gray.getRaster().setSample(1, 0, 0, 255);
    float[] out = preprocessor.toInput(gray, 1, ModelConfig.Input.of(2, 1, 1, new float[] {0.2f}, new float[] {0.5f}));
    assertArrayEquals(new float[] {(0.2f - 0.2f) / 0.5f, (1f - 0.2f) / 0.5f}, out, 1e-6f);
  }

  @Test
  void colourImageBecomesLumaForAGrayscaleModel() {
    BufferedImage rgb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000); // pure red
    float[] out = preprocessor.toInput(rgb, 1, ModelConfig.Input.of(1, 1, 1, new float[] {0f}, new float[] {1f}));
    assertEquals(0.299f, out[0], 1e-3f);
  }

  @Test
  void colourImageKeepsChannelsInChwOrderForAnRgbModel() {
    BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000);
    rgb.setRGB(1, 0, 0x0000ff);
    float[] out = preprocessor.toInput(rgb, 1, ModelConfig.Input.of(2, 1, 3, new float[] {0f}, new float[] {1f}));
    assertArrayEquals(new float[] {1, 0, 0, 0, 0, 1}, out, 1e-6f);
  }

  @Test
  void shrinkingAntialiasesAsPilDoes() {
    BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        gray.getRaster().setSample(x, y, 0, x < 2 ? 0 : 255);
      }
    }
    float[] out = preprocessor.toInput(gray, 1, ModelConfig.Input.of(2, 2, 1, new float[] {0f}, new float[] {1f}));
    // PIL's bilinear filter widened by the scale (2): weights 3/7, 3/7, 1/7 over three source
    // columns, so 255 / 7 = 36 and 255 * 6 / 7 = 219 (plain bilinear would give 0 and 255)
    assertArrayEquals(new float[] {36 / 255f, 219 / 255f, 36 / 255f, 219 / 255f}, out, 1e-6f);
  }

  @Test
  void shorterSideResizeThenCentreCropKeepsTheMiddle() {
    // 8x4: the shorter side (4) is already the target, so only the crop acts: columns 2..5
    BufferedImage gray = new BufferedImage(8, 4, BufferedImage.TYPE_BYTE_GRAY);
    for (int x = 0; x < 8; x++) {
      for (int y = 0; y < 4; y++) {
        gray.getRaster().setSample(x, y, 0, x * 10);
      }
    }
    ModelConfig.Input input = new ModelConfig.Input(4, 4, 1, new float[] {0f}, new float[] {1f}, "shorter", 4,
        "center", null, null, null, null, null);
    float[] out = preprocessor.toInput(gray, 1, input);
    assertArrayEquals(new float[] {20 / 255f, 30 / 255f, 40 / 255f, 50 / 255f}, java.util.Arrays.copyOf(out, 4), 1e-6f);
  }

  @Test
  void letterboxCentresTheImageOnThePadColour() {
    BufferedImage gray = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_GRAY);
    for (int x = 0; x < 4; x++) {
      for (int y = 0; y < 2; y++) {
        gray.getRaster().setSample(x, y, 0, 200);
      }
    }
    ModelConfig.Input input = new ModelConfig.Input(4, 4, 1, new float[] {0f}, new float[] {1f}, "longer", 4,
        null, 100, null, null, null, null);
    float[] out = preprocessor.toInput(gray, 1, input);
    float pad = 100 / 255f;
    float image = 200 / 255f;
    assertArrayEquals(new float[] {pad, pad, pad, pad, image, image, image, image, image, image, image, image,
        pad, pad, pad, pad}, out, 1e-6f);
  }

  @Test
  void bgrAndNhwcReorderTheValues() {
    BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000);
    rgb.setRGB(1, 0, 0x0000ff);
    ModelConfig.Input input = new ModelConfig.Input(2, 1, 3, new float[] {0f}, new float[] {1f}, null, null,
        null, null, null, null, "BGR", "NHWC");
    // pixel 0 (red) as B, G, R = 0, 0, 1; pixel 1 (blue) = 1, 0, 0
    assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, preprocessor.toInput(rgb, 1, input), 1e-6f);
  }

  @Test
  void exifOrientationTurnsTheImageBeforeResizing() {
    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(0, 0, 0, 10);
    gray.getRaster().setSample(1, 0, 0, 20);
    ModelConfig.Input input = ModelConfig.Input.of(1, 2, 1, new float[] {0f}, new float[] {1f});
    // 6: stored turned left, shown turned 90 degrees clockwise: the left pixel ends on top
    assertArrayEquals(new float[] {10 / 255f, 20 / 255f}, preprocessor.toInput(gray, 6, input), 1e-6f);
    // 8: turned 90 degrees counter-clockwise: the right pixel ends on top
    assertArrayEquals(new float[] {20 / 255f, 10 / 255f}, preprocessor.toInput(gray, 8, input), 1e-6f);
  }

  @Test
  void alphaIsDroppedNotComposited() {
    BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0x10ff8040); // nearly transparent
    float[] out = preprocessor.toInput(argb, 1, ModelConfig.Input.of(1, 1, 3, new float[] {0f}, new float[] {1f}));
    assertArrayEquals(new float[] {1f, 0x80 / 255f, 0x40 / 255f}, out, 1e-6f);
  }
}
