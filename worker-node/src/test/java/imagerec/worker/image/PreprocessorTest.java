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
    float[] out = preprocessor.toInput(gray, new ModelConfig.Input(2, 1, 1, new float[] {0.2f}, new float[] {0.5f}));
    assertArrayEquals(new float[] {(0.2f - 0.2f) / 0.5f, (1f - 0.2f) / 0.5f}, out, 1e-6f);
  }

  @Test
  void colourImageBecomesLumaForAGrayscaleModel() {
    BufferedImage rgb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000); // pure red
    float[] out = preprocessor.toInput(rgb, new ModelConfig.Input(1, 1, 1, new float[] {0f}, new float[] {1f}));
    assertEquals(0.299f, out[0], 1e-3f);
  }

  @Test
  void colourImageKeepsChannelsInChwOrderForAnRgbModel() {
    BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000);
    rgb.setRGB(1, 0, 0x0000ff);
    float[] out = preprocessor.toInput(rgb, new ModelConfig.Input(2, 1, 3, new float[] {0f}, new float[] {1f}));
    assertArrayEquals(new float[] {1, 0, 0, 0, 0, 1}, out, 1e-6f);
  }

  @Test
  void grayImageIsResizedBilinearly() {
    BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        gray.getRaster().setSample(x, y, 0, x < 2 ? 0 : 255);
      }
    }
    float[] out = preprocessor.toInput(gray, new ModelConfig.Input(2, 2, 1, new float[] {0f}, new float[] {1f}));
    // each output pixel centre falls between source columns 0|1 (black) and 2|3 (white)
    assertEquals(0f, out[0], 0.15f);
    assertEquals(1f, out[1], 0.15f);
  }
}
