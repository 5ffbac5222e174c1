package imagerec.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(4096L * 4096);

  static byte[] encode(String format, int w, int h) throws IOException {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, (x * 8) << 16 | (y * 8) << 8 | 0x40);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(image, format, out), "no writer for " + format);
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "jpeg", "bmp", "gif"})
  void decodesEachSupportedFormat(String format) throws Exception {
    BufferedImage image = decoder.decode(encode(format, 30, 20));
    assertEquals(30, image.getWidth());
    assertEquals(20, image.getHeight());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rgb-30x20.webp", "rgb-30x20.tiff"})
  void decodesWebpAndTiffThroughThePlugins(String file) throws Exception {
    byte[] bytes;
    try (var in = ImageDecoderTest.class.getResourceAsStream("/images/" + file)) {
      bytes = in.readAllBytes();
    }
    BufferedImage image = decoder.decode(bytes);
    assertEquals(30, image.getWidth());
    assertEquals(20, image.getHeight());
    assertEquals(0x000102, image.getRGB(0, 0) & 0xffffff, "first pixel is (0, 1, 2)");
  }

  @Test
  void emptyInputIsRejectedWithAnActionableMessage() {
    InvalidImageException e = assertThrows(InvalidImageException.class, () -> decoder.decode(new byte[0]));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void bytesThatAreNoImageAreRejected() {
    InvalidImageException e = assertThrows(InvalidImageException.class,
        () -> decoder.decode("hello, this is text".getBytes()));
    assertTrue(e.getMessage().contains("not a supported image"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "jpeg", "gif", "bmp"})
  void truncatedImagesAreRejected(String format) throws Exception {
    byte[] whole = encode(format, 64, 64);
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
    InvalidImageException e = assertThrows(InvalidImageException.class, () -> decoder.decode(truncated));
    assertTrue(e.getMessage().contains("corrupt or truncated"), e.getMessage());
  }

  @Test
  void hugeDeclaredDimensionsAreRejectedBeforeDecoding() throws Exception {
    // a valid PNG signature and IHDR declaring 100000 x 100000 pixels, and nothing else
    ByteBuffer ihdr = ByteBuffer.allocate(17);
    ihdr.put("IHDR".getBytes()).putInt(100_000).putInt(100_000).put((byte) 8).put((byte) 0)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(ihdr.array());
    ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).putInt(13).put(ihdr.array())
        .putInt((int) crc.getValue());
    InvalidImageException e = assertThrows(InvalidImageException.class, () -> decoder.decode(png.array()));
    assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    assertTrue(e.getMessage().contains("limit"), e.getMessage());
  }
}
