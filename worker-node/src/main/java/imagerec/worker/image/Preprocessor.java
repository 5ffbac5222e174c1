package imagerec.worker.image;

import imagerec.worker.model.ModelConfig;
import java.awt.image.BufferedImage;

/**
 * Turns a decoded image into a model's input the way torchvision's evaluation transforms do on a
 * PIL image: EXIF orientation applied ({@code ImageOps.exif_transpose}), converted to grey or RGB
 * ({@link ColorConversion}), resized ({@link Resampler}: "stretch" to the model's size, "shorter"
 * side to {@code resizeTo} then a centre crop as {@code Resize(n)} + {@code CenterCrop}, or
 * "longer" side to {@code resizeTo} centred on a padded canvas), then {@code ToTensor} and
 * {@code Normalize}: {@code (v / 255 - mean) / std} in float32, in the model's channel order and
 * layout. An image already at the model's size skips resizing. Stateless and thread-safe.
 */
public final class Preprocessor {

  /**
   * The model input for {@code image}, as a flat float array of {@code input.size()} values.
   *
   * @param orientation the EXIF orientation of the encoded image ({@link ExifOrientation}); 1 for none
   */
  public float[] toInput(BufferedImage image, int orientation, ModelConfig.Input input) {
    ByteImage planes = ColorConversion.toPlanes(image, input.channels());
    if (input.applyExif()) {
      planes = planes.oriented(orientation);
    }
    return normalize(fit(planes, input), input);
  }

  /** Resized, cropped or padded to exactly the model's width and height. */
  static ByteImage fit(ByteImage image, ModelConfig.Input input) {
    int w = input.width();
    int h = input.height();
    int to = input.resizeToOrDefault();
    int iw = image.width();
    int ih = image.height();
    switch (input.resizeMode()) {
      case STRETCH -> {
        int rw = input.centerCrop() ? to : w;
        int rh = input.centerCrop() ? to : h;
        return Resampler.resize(image, rw, rh, cropOffset(rw, w), cropOffset(rh, h), w, h, input.interpolationMode());
      }
      case SHORTER -> {
        // torchvision's Resize(n): the shorter side to n, the longer to int(n * long / short)
        int longer = (int) ((double) to * Math.max(iw, ih) / Math.min(iw, ih));
        int rw = iw <= ih ? to : longer;
        int rh = iw <= ih ? longer : to;
        return Resampler.resize(image, rw, rh, cropOffset(rw, w), cropOffset(rh, h), w, h, input.interpolationMode());
      }
      case LONGER -> {
        int shorter = Math.max(1, (int) ((double) to * Math.min(iw, ih) / Math.max(iw, ih)));
        int rw = iw >= ih ? to : shorter;
        int rh = iw >= ih ? shorter : to;
        ByteImage resized = Resampler.resize(image, rw, rh, 0, 0, rw, rh, input.interpolationMode());
        return letterbox(resized, w, h, input.padOrDefault());
      }
      default -> throw new AssertionError(input.resizeMode());
    }
  }

  /** torchvision's CenterCrop offset: {@code int(round((size - crop) / 2))}, halves to even. */
  private static int cropOffset(int size, int crop) {
    return (int) Math.rint((size - crop) / 2.0);
  }

  private static ByteImage letterbox(ByteImage image, int w, int h, int pad) {
    int left = (w - image.width()) / 2;
    int top = (h - image.height()) / 2;
    byte[][] planes = new byte[image.channels()][w * h];
    for (int c = 0; c < planes.length; c++) {
      java.util.Arrays.fill(planes[c], (byte) pad);
      for (int y = 0; y < image.height(); y++) {
        System.arraycopy(image.planes()[c], y * image.width(), planes[c], (top + y) * w + left, image.width());
      }
    }
    return new ByteImage(w, h, planes);
  }

  private static float[] normalize(ByteImage image, ModelConfig.Input input) {
    int channels = input.channels();
    int pixels = image.width() * image.height();
    float[] out = new float[input.size()];
    float[] table = new float[256];
    for (int c = 0; c < channels; c++) {
      float mean = input.meanOf(c);
      float std = input.stdOf(c);
      for (int v = 0; v < 256; v++) {
        table[v] = (v / 255f - mean) / std;
      }
      // channel c of the model's input: R, G, B in RGB order, or B, G, R in BGR order
      byte[] plane = image.planes()[input.bgr() && channels == 3 ? 2 - c : c];
      if (input.nhwc()) {
        for (int i = 0, o = c; i < pixels; i++, o += channels) {
          out[o] = table[plane[i] & 0xff];
        }
      } else {
        int offset = c * pixels;
        for (int i = 0; i < pixels; i++) {
          out[offset + i] = table[plane[i] & 0xff];
        }
      }
    }
    return out;
  }
}
