package imagerec.worker.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;

/**
 * Turns a decoded image into 8-bit grey or RGB planes the way PIL's {@code convert("L")} and
 * {@code convert("RGB")} do: the stored samples are taken as they are (no colour profile is
 * applied), a palette is looked up, alpha is dropped (not composited), grey is repeated into R, G
 * and B, and RGB becomes grey with PIL's integer luma {@code (19595 R + 38470 G + 7471 B + 0x8000) >> 16}.
 *
 * CMYK (as the JPEG decoder gives it, Adobe inversion undone) is converted with PIL's formula.
 *
 * <p>Where PIL differs: 16-bit samples keep their high byte (PIL does the same for 16-bit RGB, but
 * clips 16-bit grey at 255); sources in any other colour space go through the decoder's own
 * conversion to sRGB. Stateless.
 */
public final class ColorConversion {
  private ColorConversion() {}

  /** {@code image} as {@code channels} (1 or 3) planes. */
  public static ByteImage toPlanes(BufferedImage image, int channels) {
    ColorModel model = image.getColorModel();
    ByteImage planes;
    if (model instanceof IndexColorModel palette) {
      planes = fromPalette(image.getRaster(), palette);
    } else if (isGray(model)) {
      planes = new ByteImage(image.getWidth(), image.getHeight(),
          new byte[][] {band(image.getRaster(), 0, model.getComponentSize(0))});
    } else if (isPlainRgb(model)) {
      Raster raster = image.getRaster();
      planes = new ByteImage(image.getWidth(), image.getHeight(), new byte[][] {
          band(raster, 0, model.getComponentSize(0)), band(raster, 1, model.getComponentSize(1)),
          band(raster, 2, model.getComponentSize(2))});
    } else if (isCmyk(model)) {
      planes = fromCmyk(image.getRaster());
    } else {
      planes = fromSrgb(image);
    }
    return withChannels(planes, channels);
  }

  private static boolean isGray(ColorModel model) {
    return model.getColorSpace().getType() == ColorSpace.TYPE_GRAY && model.getNumColorComponents() == 1
        && !model.isAlphaPremultiplied();
  }

  private static boolean isPlainRgb(ColorModel model) {
    return model.getColorSpace().getType() == ColorSpace.TYPE_RGB && model.getNumColorComponents() == 3
        && !model.isAlphaPremultiplied();
  }

  private static boolean isCmyk(ColorModel model) {
    return model.getColorSpace().getType() == ColorSpace.TYPE_CMYK && model.getNumComponents() == 4
        && model.getComponentSize(0) == 8;
  }

  /** PIL's CMYK to RGB: {@code R = (255 - K) - C * (255 - K) / 255} in its rounding, likewise G and B. */
  private static ByteImage fromCmyk(Raster raster) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    byte[] k = band(raster, 3, 8);
    byte[][] rgb = new byte[3][];
    for (int c = 0; c < 3; c++) {
      byte[] ink = band(raster, c, 8);
      for (int i = 0; i < ink.length; i++) {
        int nk = 255 - (k[i] & 0xff);
        int t = (ink[i] & 0xff) * nk + 128;
        ink[i] = (byte) (nk - (((t >> 8) + t) >> 8));
      }
      rgb[c] = ink;
    }
    return new ByteImage(w, h, rgb);
  }

  private static ByteImage withChannels(ByteImage image, int channels) {
    if (image.channels() == channels) {
      return image;
    }
    if (channels == 3) {
      byte[] grey = image.planes()[0];
      return new ByteImage(image.width(), image.height(), new byte[][] {grey, grey, grey});
    }
    byte[] r = image.planes()[0];
    byte[] g = image.planes()[1];
    byte[] b = image.planes()[2];
    byte[] grey = new byte[r.length];
    for (int i = 0; i < grey.length; i++) {
      grey[i] = (byte) (((r[i] & 0xff) * 19595 + (g[i] & 0xff) * 38470 + (b[i] & 0xff) * 7471 + 0x8000) >> 16);
    }
    return new ByteImage(image.width(), image.height(), new byte[][] {grey});
  }

  /** One band as bytes: 8-bit samples as they are, 16-bit by their high byte, fewer bits scaled to 0..255. */
  private static byte[] band(Raster raster, int band, int bits) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    byte[] out = new byte[w * h];
    if (bits == 8 && raster.getDataBuffer() instanceof DataBufferByte buffer
        && raster.getSampleModel() instanceof PixelInterleavedSampleModel sm
        && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0
        && buffer.getNumBanks() == 1) {
      byte[] data = buffer.getData();
      int stride = sm.getPixelStride();
      int rowStride = sm.getScanlineStride();
      int offset = buffer.getOffset() + sm.getBandOffsets()[band];
      if (stride == 1 && rowStride == w) {
        System.arraycopy(data, offset, out, 0, out.length);
        return out;
      }
      for (int y = 0; y < h; y++) {
        int in = offset + y * rowStride;
        int o = y * w;
        for (int x = 0; x < w; x++, in += stride) {
          out[o + x] = data[in];
        }
      }
      return out;
    }
    int[] row = new int[w];
    int max = (1 << bits) - 1;
    for (int y = 0; y < h; y++) {
      raster.getSamples(0, y, w, 1, band, row);
      for (int x = 0; x < w; x++) {
        int v = row[x];
        out[y * w + x] = (byte) (bits == 8 ? v : bits > 8 ? v >>> (bits - 8) : (v * 255 + max / 2) / max);
      }
    }
    return out;
  }

  private static ByteImage fromPalette(Raster raster, IndexColorModel palette) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    int size = palette.getMapSize();
    byte[] reds = new byte[size];
    byte[] greens = new byte[size];
    byte[] blues = new byte[size];
    palette.getReds(reds);
    palette.getGreens(greens);
    palette.getBlues(blues);
    byte[] r = new byte[w * h];
    byte[] g = new byte[w * h];
    byte[] b = new byte[w * h];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      raster.getSamples(0, y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        int i = Math.min(row[x], size - 1);
        r[y * w + x] = reds[i];
        g[y * w + x] = greens[i];
        b[y * w + x] = blues[i];
      }
    }
    return new ByteImage(w, h, new byte[][] {r, g, b});
  }

  /** Any other colour model, through its own conversion to sRGB; alpha is dropped. */
  private static ByteImage fromSrgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] r = new byte[w * h];
    byte[] g = new byte[w * h];
    byte[] b = new byte[w * h];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        r[y * w + x] = (byte) (p >> 16);
        g[y * w + x] = (byte) (p >> 8);
        b[y * w + x] = (byte) p;
      }
    }
    return new ByteImage(w, h, new byte[][] {r, g, b});
  }
}
