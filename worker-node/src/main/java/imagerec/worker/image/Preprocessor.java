package imagerec.worker.image;

import imagerec.worker.model.ModelConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Turns a decoded image into a model's input: resized to the model's width and height (bilinear),
 * converted to its channel count, and normalized as {@code (v / 255 - mean) / std}, in CHW order.
 *
 * <p>Grayscale images are read straight from their raster, so no colour-space conversion changes
 * their values; colour images are drawn in sRGB (transparent areas over black) and converted to
 * grey with the ITU-R BT.601 luma weights when the model takes one channel. Stateless and
 * thread-safe.
 */
public final class Preprocessor {

  /** The model input for {@code image}, as a flat CHW float array of {@code input.size()} values. */
  public float[] toInput(BufferedImage image, ModelConfig.Input input) {
    int w = input.width();
    int h = input.height();
    float[] out = new float[input.size()];
    if (isGray(image)) {
      float[] gray = resizeGray(image.getRaster(), image.getColorModel().getComponentSize(0), w, h);
      for (int c = 0; c < input.channels(); c++) {
        normalize(gray, out, c * w * h, input.meanOf(c), input.stdOf(c));
      }
      return out;
    }
    int[] rgb = resizeRgb(image, w, h);
    float[] plane = new float[w * h];
    if (input.channels() == 1) {
      for (int i = 0; i < rgb.length; i++) {
        int p = rgb[i];
        plane[i] = 0.299f * ((p >> 16) & 0xff) + 0.587f * ((p >> 8) & 0xff) + 0.114f * (p & 0xff);
      }
      normalize(plane, out, 0, input.meanOf(0), input.stdOf(0));
      return out;
    }
    for (int c = 0; c < 3; c++) {
      int shift = 16 - 8 * c;
      for (int i = 0; i < rgb.length; i++) {
        plane[i] = (rgb[i] >> shift) & 0xff;
      }
      normalize(plane, out, c * w * h, input.meanOf(c), input.stdOf(c));
    }
    return out;
  }

  private static boolean isGray(BufferedImage image) {
    return image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
        && image.getColorModel().getNumColorComponents() == 1;
  }

  private static void normalize(float[] values, float[] out, int offset, float mean, float std) {
    for (int i = 0; i < values.length; i++) {
      out[offset + i] = (values[i] / 255f - mean) / std;
    }
  }

  /** Bilinear resize of band 0 of a grey raster to 0..255 floats, using pixel centres. */
  private static float[] resizeGray(Raster raster, int bits, int w, int h) {
    int sw = raster.getWidth();
    int sh = raster.getHeight();
    float scale = 255f / ((1 << bits) - 1);
    float[] out = new float[w * h];
    if (sw == w && sh == h) {
      int[] samples = raster.getSamples(0, 0, w, h, 0, (int[]) null);
      for (int i = 0; i < samples.length; i++) {
        out[i] = samples[i] * scale;
      }
      return out;
    }
    float sx = (float) sw / w;
    float sy = (float) sh / h;
    for (int y = 0; y < h; y++) {
      float fy = Math.max(0, (y + 0.5f) * sy - 0.5f);
      int y0 = Math.min((int) fy, sh - 1);
      int y1 = Math.min(y0 + 1, sh - 1);
      float dy = fy - y0;
      for (int x = 0; x < w; x++) {
        float fx = Math.max(0, (x + 0.5f) * sx - 0.5f);
        int x0 = Math.min((int) fx, sw - 1);
        int x1 = Math.min(x0 + 1, sw - 1);
        float dx = fx - x0;
        float top = raster.getSample(x0, y0, 0) * (1 - dx) + raster.getSample(x1, y0, 0) * dx;
        float bottom = raster.getSample(x0, y1, 0) * (1 - dx) + raster.getSample(x1, y1, 0) * dx;
        out[y * w + x] = (top * (1 - dy) + bottom * dy) * scale;
      }
    }
    return out;
  }

  /** Draws the image into a w x h sRGB buffer (bilinear) and returns its packed RGB pixels. */
  private static int[] resizeRgb(BufferedImage image, int w, int h) {
    BufferedImage target = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = target.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(image, 0, 0, w, h, Color.BLACK, null);
    } finally {
      g.dispose();
    }
    return target.getRGB(0, 0, w, h, null, 0, w);
  }
}
