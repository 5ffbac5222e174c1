package imagerec.worker.image;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.worker.model.ModelConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing of the decode path (decoder, then preprocessing to the model's input): valid images of
 * every format written here, then mutated (bytes flipped, cut, spliced, dimensions in the header
 * rewritten, random bytes in between). Whatever the bytes, the path either gives an input of the
 * model's size or rejects the image with {@link InvalidImageException}: no other exception, no
 * error (OutOfMemoryError, StackOverflowError), no hang (each case has 10 s), and never an image
 * past the pixel limit. jqwik's tries: {@code jqwik.tries.default} in junit-platform.properties
 * (CI), or {@code -Djqwik.tries.default=N} for the long suite (bin/reliability).
 */
class ImageDecoderFuzzTest {
  private static final long MAX_PIXELS = 4096L * 4096;
  private static final List<byte[]> SEEDS = seeds();
  private final ImageDecoder decoder = new ImageDecoder(MAX_PIXELS);
  private final Preprocessor preprocessor = new Preprocessor();
  private final ModelConfig.Input input = ModelConfig.Input.of(28, 28, 1, new float[] {0.5f}, new float[] {0.5f});

  /** How a seed is damaged. */
  enum Mutation { FLIP, CUT, SPLICE, INSERT, DIMENSIONS, REPEAT }

  record Case(int seed, List<Mutation> mutations, long random) {}

  @Provide
  Arbitrary<Case> cases() {
    return Combinators.combine(Arbitraries.integers().between(0, SEEDS.size() - 1),
        Arbitraries.of(Mutation.class).list().ofMinSize(1).ofMaxSize(4), Arbitraries.longs())
        .as(Case::new);
  }

  @Property(shrinking = net.jqwik.api.ShrinkingMode.OFF)
  void anyDamageIsEitherDecodedWithinTheLimitOrRejectedCleanly(@ForAll("cases") Case c) {
    byte[] bytes = mutate(SEEDS.get(c.seed()), c.mutations(), new Random(c.random()));
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      BufferedImage image;
      try {
        image = decoder.decode(bytes);
      } catch (InvalidImageException e) {
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a rejection says why");
        return;
      }
      assertTrue((long) image.getWidth() * image.getHeight() <= MAX_PIXELS, "over the pixel limit");
      assertTrue(preprocessor.toInput(image, 1, input).length == 28 * 28, "input of the model's size");
    }, () -> "case " + c);
  }

  static byte[] mutate(byte[] seed, List<Mutation> mutations, Random random) {
    byte[] b = seed.clone();
    for (Mutation m : mutations) {
      if (b.length == 0) {
        return b;
      }
      switch (m) {
        case FLIP -> {
          for (int i = 1 + random.nextInt(16); i > 0; i--) {
            b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case CUT -> b = Arrays.copyOf(b, random.nextInt(b.length));
        case SPLICE -> { // a piece of another seed in place of a piece of this one
          byte[] other = SEEDS.get(random.nextInt(SEEDS.size()));
          int at = random.nextInt(b.length);
          int len = Math.min(other.length, 1 + random.nextInt(256));
          int from = random.nextInt(other.length - len + 1);
          System.arraycopy(other, from, b, at, Math.min(len, b.length - at));
        }
        case INSERT -> {
          int at = random.nextInt(b.length);
          byte[] noise = new byte[1 + random.nextInt(64)];
          random.nextBytes(noise);
          byte[] grown = new byte[b.length + noise.length];
          System.arraycopy(b, 0, grown, 0, at);
          System.arraycopy(noise, 0, grown, at, noise.length);
          System.arraycopy(b, at, grown, at + noise.length, b.length - at);
          b = grown;
        }
        case DIMENSIONS -> { // huge or zero sizes where formats keep them (PNG IHDR, GIF, BMP headers)
          int[] offsets = {16, 20, 6, 8, 18, 22};
          int at = offsets[random.nextInt(offsets.length)];
          int[] values = {0, 1, 0xFFFF, 0x7FFF_FFFF, 100_000, -1};
          int v = values[random.nextInt(values.length)];
          for (int i = 0; i < 4 && at + i < b.length; i++) {
            b[at + i] = (byte) (v >>> (8 * (3 - i)));
          }
        }
        case REPEAT -> { // a stretch repeated: chunks and segments seen twice
          int from = random.nextInt(b.length);
          int len = Math.min(b.length - from, 1 + random.nextInt(512));
          byte[] grown = Arrays.copyOf(b, b.length + len);
          System.arraycopy(b, from, grown, b.length, len);
          b = grown;
        }
        default -> throw new IllegalStateException();
      }
    }
    return b;
  }

  private static List<byte[]> seeds() {
    BufferedImage rgb = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    BufferedImage gray = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        rgb.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | ((x + y) * 3));
        if (x < 28 && y < 28) {
          gray.getRaster().setSample(x, y, 0, (x * y) & 0xFF);
        }
      }
    }
    return List.of(encode("png", rgb), encode("png", gray), encode("jpeg", rgb), encode("gif", rgb),
        encode("bmp", rgb), encode("tiff", rgb), encode("tiff", gray));
  }

  private static byte[] encode(String format, BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no writer for " + format);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
