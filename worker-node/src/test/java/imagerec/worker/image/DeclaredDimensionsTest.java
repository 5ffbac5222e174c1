package imagerec.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Sizes declared beyond the first frame or page: each format's bomb, a tiny file whose canvas,
 * later frame or later page declares more pixels than the limit, is refused before decoding, and
 * the same file with sizes under the limit decodes.
 */
class DeclaredDimensionsTest {
  private final ImageDecoder decoder = new ImageDecoder(1 << 20);

  /** A GIF89a with a 2-colour table and the given frames (width, height each), 1 pixel of data each. */
  static byte[] gif(int canvasWidth, int canvasHeight, int[]... frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("GIF89a".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(le16(canvasWidth));
    out.writeBytes(le16(canvasHeight));
    out.writeBytes(new byte[] {(byte) 0x80, 0, 0}); // global colour table of 2, background 0, aspect 0
    out.writeBytes(new byte[] {0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    for (int[] frame : frames) {
      out.write(0x2C);
      out.writeBytes(le16(0));
      out.writeBytes(le16(0));
      out.writeBytes(le16(frame[0]));
      out.writeBytes(le16(frame[1]));
      out.write(0);
      out.writeBytes(new byte[] {2, 2, 0x44, 0x01, 0}); // LZW code size 2, one data block, end
    }
    out.write(0x3B);
    return out.toByteArray();
  }

  @Test
  void aGifCanvasOverTheLimitIsRefusedThoughItsFrameIsSmall() throws Exception {
    assertEquals(1, decoder.decode(gif(1, 1, new int[] {1, 1})).getWidth(), "the same GIF on a small canvas decodes");
    InvalidImageException e = assertThrows(InvalidImageException.class,
        () -> decoder.decode(gif(60_000, 60_000, new int[] {1, 1})));
    assertTrue(e.getMessage().contains("GIF canvas declares 60000x60000"), e.getMessage());
  }

  @Test
  void aLaterGifFrameOverTheLimitIsRefused() throws Exception {
    InvalidImageException e = assertThrows(InvalidImageException.class,
        () -> decoder.decode(gif(1, 1, new int[] {1, 1}, new int[] {50_000, 50_000})));
    assertTrue(e.getMessage().contains("GIF frame 2 declares 50000x50000"), e.getMessage());
  }

  @Test
  void anApngFrameOverTheLimitIsRefused() throws Exception {
    byte[] png = ImageDecoderTest.encode("png", 4, 4);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(png, 0, 33); // signature and IHDR
    out.writeBytes(chunk("acTL", ByteBuffer.allocate(8).putInt(1).putInt(0).array()));
    out.writeBytes(chunk("fcTL", ByteBuffer.allocate(26).putInt(0).putInt(40_000).putInt(40_000).array()));
    out.write(png, 33, png.length - 33);
    InvalidImageException e = assertThrows(InvalidImageException.class, () -> decoder.decode(out.toByteArray()));
    assertTrue(e.getMessage().contains("APNG frame 1 declares 40000x40000"), e.getMessage());
  }

  @Test
  void aWebpCanvasOrFrameOverTheLimitIsRefused() throws Exception {
    ByteBuffer vp8x = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
    vp8x.put((byte) 0x02).put(new byte[3]).put(le24(30_000 - 1)).put(le24(30_000 - 1));
    InvalidImageException e = assertThrows(InvalidImageException.class,
        () -> decoder.decode(riff(webpChunk("VP8X", vp8x.array()))));
    assertTrue(e.getMessage().contains("WebP canvas declares 30000x30000"), e.getMessage());

    ByteBuffer anmf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    anmf.put(le24(0)).put(le24(0)).put(le24(20_000 - 1)).put(le24(20_000 - 1)).put(new byte[4]);
    ByteBuffer smallCanvas = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
    smallCanvas.put((byte) 0x02).put(new byte[3]).put(le24(0)).put(le24(0));
    byte[] both = concat(webpChunk("VP8X", smallCanvas.array()), webpChunk("ANMF", anmf.array()));
    e = assertThrows(InvalidImageException.class, () -> decoder.decode(riff(both)));
    assertTrue(e.getMessage().contains("WebP frame 1 declares 20000x20000"), e.getMessage());
  }

  @Test
  void aLaterTiffPageOverTheLimitIsRefused() throws Exception {
    ByteBuffer tiff = ByteBuffer.allocate(8 + 2 * 30).order(ByteOrder.LITTLE_ENDIAN);
    tiff.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
    int second = 8 + 2 + 2 * 12 + 4;
    ifd(tiff, 1, 1, second);
    ifd(tiff, 70_000, 70_000, 0);
    InvalidImageException e = assertThrows(InvalidImageException.class, () -> decoder.decode(tiff.array()));
    assertTrue(e.getMessage().contains("TIFF page 2 declares 70000x70000"), e.getMessage());
  }

  @Test
  void sizesUnderTheLimitAreLeftToTheDecoder() throws Exception {
    assertEquals(1, decoder.decode(gif(4, 4, new int[] {1, 1}, new int[] {4, 4})).getWidth(), "its first frame");
    assertEquals(30, decoder.decode(ImageDecoderTest.encode("png", 30, 20)).getWidth());
    try (var in = DeclaredDimensionsTest.class.getResourceAsStream("/images/rgb-30x20.tiff")) {
      assertEquals(30, decoder.decode(in.readAllBytes()).getWidth());
    }
  }

  private static void ifd(ByteBuffer b, int width, int height, int next) {
    b.putShort((short) 2);
    b.putShort((short) 256).putShort((short) 4).putInt(1).putInt(width);
    b.putShort((short) 257).putShort((short) 4).putInt(1).putInt(height);
    b.putInt(next);
  }

  private static byte[] chunk(String type, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(12 + data.length);
    b.putInt(data.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(data);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 4, 4 + data.length);
    return b.putInt((int) crc.getValue()).array();
  }

  private static byte[] webpChunk(String type, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(8 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    return b.put(type.getBytes(StandardCharsets.US_ASCII)).putInt(data.length).put(data).array();
  }

  private static byte[] riff(byte[] chunks) {
    ByteBuffer b = ByteBuffer.allocate(12 + chunks.length).order(ByteOrder.LITTLE_ENDIAN);
    return b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(4 + chunks.length)
        .put("WEBP".getBytes(StandardCharsets.US_ASCII)).put(chunks).array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static byte[] le16(int v) {
    return new byte[] {(byte) v, (byte) (v >> 8)};
  }

  private static byte[] le24(int v) {
    return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16)};
  }
}
