package imagerec.worker.image;

import imagerec.worker.model.ModelConfig.Interpolation;

/**
 * Resizes 8-bit planes exactly as PIL's {@code Image.resize} does with its BILINEAR and BICUBIC
 * filters, so that a model sees the pixels it saw in training with torchvision.
 *
 * <p>The algorithm (the published behaviour of PIL's resampling, written here from its
 * description): a separable convolution, horizontal pass first, then vertical. For each output
 * pixel the filter is centred on {@code (i + 0.5) * scale} in the source; when shrinking, the
 * filter is widened by the scale (antialiasing), so every source pixel contributes. Weights are
 * normalised to sum to one, then turned into fixed-point integers with 22 fractional bits; each
 * pass rounds and clamps its result to 0..255, so the intermediate image is 8-bit like PIL's.
 * A pass whose size does not change is skipped, and the horizontal pass runs only on the source
 * rows the vertical pass reads.
 *
 * <p>A window of the resized image can be asked for (a centre crop): only its pixels are computed,
 * with the weights they would have in the whole resized image. Stateless and thread-safe.
 */
public final class Resampler {
  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final double BICUBIC_A = -0.5;

  private Resampler() {}

  /**
   * Resizes {@code image} to {@code width x height} and returns the window at
   * {@code (left, top)} of size {@code windowWidth x windowHeight} of the result.
   */
  public static ByteImage resize(ByteImage image, int width, int height, int left, int top, int windowWidth,
                                 int windowHeight, Interpolation filter) {
    if (width == image.width() && height == image.height() && left == 0 && top == 0
        && windowWidth == width && windowHeight == height) {
      return image;
    }
    Coefficients horizontal = width == image.width() ? null
        : Coefficients.of(image.width(), width, left, windowWidth, filter);
    Coefficients vertical = height == image.height() ? null
        : Coefficients.of(image.height(), height, top, windowHeight, filter);
    byte[][] out = new byte[image.channels()][];
    for (int c = 0; c < out.length; c++) {
      out[c] = resizePlane(image.planes()[c], image.width(), image.height(), left, top, windowWidth, windowHeight,
          horizontal, vertical);
    }
    return new ByteImage(windowWidth, windowHeight, out);
  }

  private static byte[] resizePlane(byte[] in, int inWidth, int inHeight, int left, int top, int outWidth,
                                    int outHeight, Coefficients horizontal, Coefficients vertical) {
    // source rows needed: those the vertical pass reads, or the window's rows when it is skipped
    int firstRow = vertical == null ? top : vertical.start[0];
    int lastRow = vertical == null ? top + outHeight : vertical.start[outHeight - 1] + vertical.count[outHeight - 1];
    byte[] rows;
    int rowWidth;
    if (horizontal == null) {
      rows = in;
      rowWidth = inWidth;
      firstRow = 0; // read the source in place
    } else {
      rowWidth = outWidth;
      rows = new byte[(lastRow - firstRow) * outWidth];
      for (int y = firstRow; y < lastRow; y++) {
        int inRow = y * inWidth;
        int outRow = (y - firstRow) * outWidth;
        for (int x = 0; x < outWidth; x++) {
          int start = horizontal.start[x];
          int n = horizontal.count[x];
          int k = x * horizontal.size;
          int sum = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < n; i++) {
            sum += (in[inRow + start + i] & 0xff) * horizontal.weights[k + i];
          }
          rows[outRow + x] = clip8(sum);
        }
      }
    }
    int columnOffset = horizontal == null ? left : 0;
    byte[] out = new byte[outWidth * outHeight];
    if (vertical == null) {
      for (int y = 0; y < outHeight; y++) {
        System.arraycopy(rows, (top + y - firstRow) * rowWidth + columnOffset, out, y * outWidth, outWidth);
      }
      return out;
    }
    int[] sums = new int[outWidth];
    for (int y = 0; y < outHeight; y++) {
      int start = vertical.start[y] - firstRow;
      int n = vertical.count[y];
      int k = y * vertical.size;
      java.util.Arrays.fill(sums, 1 << (PRECISION_BITS - 1));
      for (int i = 0; i < n; i++) {
        int weight = vertical.weights[k + i];
        int row = (start + i) * rowWidth + columnOffset;
        for (int x = 0; x < outWidth; x++) {
          sums[x] += (rows[row + x] & 0xff) * weight;
        }
      }
      int outRow = y * outWidth;
      for (int x = 0; x < outWidth; x++) {
        out[outRow + x] = clip8(sums[x]);
      }
    }
    return out;
  }

  private static byte clip8(int sum) {
    int v = sum >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * Fixed-point filter weights of the output positions {@code first .. first + n - 1} of a resize
   * from {@code inSize} to {@code outSize}: for position {@code i}, {@code count[i]} weights at
   * {@code weights[i * size ...]} for source pixels from {@code start[i]}.
   */
  private record Coefficients(int size, int[] start, int[] count, int[] weights) {

    static Coefficients of(int inSize, int outSize, int first, int n, Interpolation filter) {
      double support = filter == Interpolation.BICUBIC ? 2.0 : 1.0;
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double reach = support * filterScale;
      int size = (int) Math.ceil(reach) * 2 + 1;
      int[] start = new int[n];
      int[] count = new int[n];
      int[] weights = new int[n * size];
      double[] w = new double[size];
      double inverseScale = 1.0 / filterScale;
      for (int i = 0; i < n; i++) {
        double center = (first + i + 0.5) * scale;
        int min = Math.max((int) (center - reach + 0.5), 0);
        int max = Math.min((int) (center + reach + 0.5), inSize) - min;
        double total = 0;
        for (int x = 0; x < max; x++) {
          w[x] = filter(filter, (x + min - center + 0.5) * inverseScale);
          total += w[x];
        }
        for (int x = 0; x < max; x++) {
          double normalized = total != 0 ? w[x] / total : w[x];
          weights[i * size + x] = (int) (normalized < 0 ? -0.5 + normalized * (1 << PRECISION_BITS)
              : 0.5 + normalized * (1 << PRECISION_BITS));
        }
        start[i] = min;
        count[i] = max;
      }
      return new Coefficients(size, start, count, weights);
    }

    private static double filter(Interpolation filter, double x) {
      x = Math.abs(x);
      if (filter == Interpolation.BILINEAR) {
        return x < 1 ? 1 - x : 0;
      }
      if (x < 1) {
        return ((BICUBIC_A + 2) * x - (BICUBIC_A + 3)) * x * x + 1;
      }
      if (x < 2) {
        return (((x - 5) * x + 8) * x - 4) * BICUBIC_A;
      }
      return 0;
    }
  }
}
