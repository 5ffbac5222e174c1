package imagerec.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.v1.RecognizeRequest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The benchmark's repeated-image workloads: shares, uniqueness, and images a worker decodes as the originals. */
class WorkloadTest {
  private static List<RecognizeRequest> samples() throws Exception {
    return List.of("bag/0.png", "coat/0.png", "sneaker/0.png").stream().map(f -> {
      try {
        return RecognizeRequest.newBuilder()
            .setImage(ByteString.copyFrom(Files.readAllBytes(Path.of("../samples").resolve(f)))).build();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }

  private static int[] pixels(ByteString png) throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
    return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
  }

  @Test
  void repeatsAreTheImagesAndTheRestAreUniqueBytesOfTheSamePixels() throws Exception {
    List<RecognizeRequest> images = samples();
    List<RecognizeRequest> workload = Workload.repeating(images, 0.9, 7);
    Set<ByteString> seen = new HashSet<>();
    int repeats = 0;
    for (int i = 0; i < 10_000; i++) {
      RecognizeRequest r = workload.get(i);
      if (images.contains(r)) {
        repeats++;
      } else {
        assertTrue(seen.add(r.getImage()), "unique image sent twice at " + i);
      }
    }
    assertEquals(0.9, repeats / 10_000.0, 0.02);
    assertEquals(workload.get(123), workload.get(123), "the same call is the same image");
    RecognizeRequest unique = java.util.stream.IntStream.range(0, 100).mapToObj(workload::get)
        .filter(r -> !images.contains(r)).findFirst().orElseThrow();
    RecognizeRequest base = images.stream().filter(r -> r.getImage().size() < unique.getImage().size()
        && java.util.Arrays.equals(pixelsOrNull(r.getImage()), pixelsOrNull(unique.getImage()))).findFirst().orElseThrow();
    assertArrayEquals(pixels(base.getImage()), pixels(unique.getImage()), "decodes to the same pixels");
    int at = java.util.stream.IntStream.range(0, 100).filter(i -> !images.contains(workload.get(i))).findFirst()
        .orElseThrow();
    RecognizeRequest again = Workload.repeating(images, 0.9, 7).get(at);
    assertTrue(!images.contains(again), "the same seed makes the same choices");
    assertTrue(!again.getImage().equals(workload.get(at).getImage()), "another run's unique images are other bytes");
  }

  private static int[] pixelsOrNull(ByteString png) {
    try {
      return pixels(png);
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  void zipfFavoursTheFirstImages() throws Exception {
    List<RecognizeRequest> images = samples();
    List<RecognizeRequest> workload = Workload.zipf(images, 1.5, 3);
    int[] counts = new int[images.size()];
    for (int i = 0; i < 10_000; i++) {
      counts[images.indexOf(workload.get(i))]++;
    }
    assertTrue(counts[0] > counts[1] && counts[1] > counts[2], java.util.Arrays.toString(counts));
  }

  @Test
  void onlyPngsCanBeMadeUnique() {
    RecognizeRequest jpeg = RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xd8,
        (byte) 0xff, 0, 0, 0, 0, 0, 0, 0})).build();
    assertThrows(IllegalArgumentException.class, () -> Workload.repeating(List.of(jpeg), 0.5, 1));
  }
}
