package imagerec.cli.bench;

import com.google.protobuf.ByteString;
import imagerec.v1.RecognizeRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.zip.CRC32;

/**
 * The sequence of images a benchmark sends, for a response cache to see repeats in: every image in
 * turn (the default), a share of repeats of popular images and the rest unique, or images drawn
 * with a Zipf distribution. Seeded: the same options give the same choices in the same order.
 */
public final class Workload {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private Workload() {}

  /**
   * An endless sequence: each call, with probability {@code repeat}, one of the given images (the
   * popular ones), else a unique image, made from one of them by adding a PNG text chunk with this
   * run's nonce and the call's number, so it decodes to the same pixels (the same work for a worker)
   * with bytes no other call, in this run or another, sends. Made as it is read, not held.
   *
   * @throws IllegalArgumentException when an image is not a PNG
   */
  public static List<RecognizeRequest> repeating(List<RecognizeRequest> images, double repeat, long seed) {
    for (RecognizeRequest r : images) {
      if (!isPng(r.getImage())) {
        throw new IllegalArgumentException("--repeat makes unique images from PNGs; give PNG images");
      }
    }
    List<RecognizeRequest> popular = List.copyOf(images);
    long nonce = System.nanoTime();
    return new Endless(i -> {
      SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
      RecognizeRequest base = popular.get(random.nextInt(popular.size()));
      return random.nextDouble() < repeat ? base : base.toBuilder()
          .setImage(ByteString.copyFrom(withTextChunk(base.getImage().toByteArray(), nonce + "-" + i))).build();
    });
  }

  /** An endless sequence drawing image k (0-based, in the given order) with probability proportional to 1 / (k+1)^s. */
  public static List<RecognizeRequest> zipf(List<RecognizeRequest> images, double s, long seed) {
    List<RecognizeRequest> ranked = List.copyOf(images);
    double[] cumulative = new double[ranked.size()];
    double total = 0;
    for (int k = 0; k < ranked.size(); k++) {
      total += 1 / Math.pow(k + 1, s);
      cumulative[k] = total;
    }
    double sum = total;
    return new Endless(i -> {
      int k = Arrays.binarySearch(cumulative, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i).nextDouble() * sum);
      return ranked.get(Math.min(ranked.size() - 1, k >= 0 ? k : -k - 1));
    });
  }

  /** A sequence without end (as long as an int counts), each element made when it is read. */
  private static final class Endless extends AbstractList<RecognizeRequest> implements RandomAccess {
    private final IntFunction<RecognizeRequest> make;

    Endless(IntFunction<RecognizeRequest> make) {
      this.make = make;
    }

    @Override
    public RecognizeRequest get(int index) {
      return make.apply(index);
    }

    @Override
    public int size() {
      return Integer.MAX_VALUE;
    }
  }

  private static boolean isPng(ByteString image) {
    return image.size() > 8 && image.substring(0, 8).equals(ByteString.copyFrom(PNG_SIGNATURE));
  }

  /** The PNG with a {@code tEXt} chunk "n" = {@code serial} inserted after its header chunk. */
  static byte[] withTextChunk(byte[] png, String serial) {
    int afterHeader = 8 + 8 + ByteBuffer.wrap(png, 8, 4).getInt() + 4; // signature, IHDR length+type, data, CRC
    byte[] data = ("n\0" + serial).getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer chunk = ByteBuffer.allocate(12 + data.length);
    chunk.putInt(data.length).put("tEXt".getBytes(StandardCharsets.US_ASCII)).put(data);
    CRC32 crc = new CRC32();
    crc.update(chunk.array(), 4, 4 + data.length);
    chunk.putInt((int) crc.getValue());
    ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + chunk.capacity());
    out.write(png, 0, afterHeader);
    out.writeBytes(chunk.array());
    out.write(png, afterHeader, png.length - afterHeader);
    return out.toByteArray();
  }
}
