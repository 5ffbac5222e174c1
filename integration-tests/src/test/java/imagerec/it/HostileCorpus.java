package imagerec.it;

import io.grpc.Status;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Broken, hostile and odd inputs, generated here (nothing is downloaded), each with the status the
 * system must answer: empty and random bytes, truncated and corrupted images of every format,
 * decompression bombs, huge animations, extreme shapes, other file formats.
 */
final class HostileCorpus {
  /** One input and the code it must get. */
  record Case(String name, byte[] image, Status.Code expected) {}

  private HostileCorpus() {}

  static List<Case> cases() throws IOException {
    Random random = new Random(42);
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("empty", new byte[0], Status.Code.INVALID_ARGUMENT));
    byte[] noise = new byte[4096];
    random.nextBytes(noise);
    cases.add(new Case("random bytes", noise, Status.Code.INVALID_ARGUMENT));
    for (String format : List.of("png", "jpeg", "gif", "bmp")) {
      byte[] whole = encode(format, gradient(64, 64));
      cases.add(new Case("truncated " + format, Arrays.copyOf(whole, whole.length / 2), Status.Code.INVALID_ARGUMENT));
      cases.add(new Case("header only " + format, Arrays.copyOf(whole, Math.min(whole.length, 24)), Status.Code.INVALID_ARGUMENT));
    }
    byte[] png = encode("png", gradient(64, 64));
    byte[] flipped = png.clone();
    for (int i = 60; i < flipped.length - 20; i += 7) {
      flipped[i] ^= (byte) 0xA5;
    }
    cases.add(new Case("corrupted png data", flipped, Status.Code.INVALID_ARGUMENT));
    cases.add(new Case("png bomb 100000x100000", pngHeaderOnly(100_000, 100_000), Status.Code.INVALID_ARGUMENT));
    cases.add(new Case("png bomb 65535x65535", pngHeaderOnly(65_535, 65_535), Status.Code.INVALID_ARGUMENT));
    byte[] gifBomb = encode("gif", gradient(8, 8)); // an 8x8 frame on a 60000x60000 logical screen
    gifBomb[6] = gifBomb[8] = (byte) (60_000 & 0xff);
    gifBomb[7] = gifBomb[9] = (byte) (60_000 >> 8);
    cases.add(new Case("gif canvas bomb 60000x60000", gifBomb, Status.Code.INVALID_ARGUMENT));
    cases.add(new Case("pdf", "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n".getBytes(StandardCharsets.US_ASCII),
        Status.Code.INVALID_ARGUMENT));
    cases.add(new Case("zip", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0}, Status.Code.INVALID_ARGUMENT));
    cases.add(new Case("text", "hello, I am not a picture".getBytes(StandardCharsets.UTF_8), Status.Code.INVALID_ARGUMENT));
    cases.add(new Case("1x1 png", encode("png", gradient(1, 1)), Status.Code.OK));
    cases.add(new Case("20000x1 png", encode("png", gradient(20_000, 1)), Status.Code.OK));
    cases.add(new Case("1x20000 png", encode("png", gradient(1, 20_000)), Status.Code.OK));
    cases.add(new Case("animated gif, 3000 frames", animatedGif(3000), Status.Code.OK));
    return cases;
  }

  static BufferedImage gradient(int w, int h) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, ((x * 7) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | 0x40);
      }
    }
    return image;
  }

  static byte[] encode(String format, BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      if (!ImageIO.write(image, format, stream)) {
        throw new IOException("no writer for " + format);
      }
    }
    return out.toByteArray();
  }

  /** A PNG signature and an IHDR chunk declaring w x h, then nothing: costs nothing to send. */
  static byte[] pngHeaderOnly(int w, int h) {
    ByteBuffer ihdr = ByteBuffer.allocate(17);
    ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(w).putInt(h)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(ihdr.array());
    ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).putInt(13).put(ihdr.array())
        .putInt((int) crc.getValue());
    return png.array();
  }

  /** An animated GIF of {@code frames} tiny frames (the worker reads only the first). */
  static byte[] animatedGif(int frames) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.prepareWriteSequence(null);
      BufferedImage frame = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED);
      IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
      for (int i = 0; i < frames; i++) {
        frame.setRGB(i % 8, (i / 8) % 8, 0xffffff);
        writer.writeToSequence(new IIOImage(frame, null, metadata), null);
      }
      writer.endWriteSequence();
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }
}
