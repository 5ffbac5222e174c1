package imagerec.worker.image;

import java.nio.charset.StandardCharsets;

/**
 * The largest width x height an encoded image declares anywhere in its structure, read from the
 * bytes without decoding: a GIF's logical screen and every frame, a PNG's header and every APNG
 * frame ({@code fcTL}), a WebP's canvas ({@code VP8X}) and every animation frame ({@code ANMF}),
 * every page of a TIFF. A decoder asked for the first frame or page checks only that one, so a
 * small file whose canvas or later frame declares billions of pixels would otherwise get past the
 * pixel limit, into whatever composes frames or pages later.
 *
 * <p>Malformed structure is not an error here: the scan stops where it stops making sense and
 * reports what it saw (the decoder then says what is wrong). Stateless.
 */
final class DeclaredDimensions {
  /**
   * A declared size.
   *
   * @param what where it is declared, as "GIF frame 2" or "TIFF page 3"
   */
  record Size(String what, long width, long height) {
    long pixels() {
      return width * height;
    }
  }

  /** Most frames, pages or chunks looked at: bounds the scan of a crafted file. */
  private static final int MAX_PARTS = 100_000;

  private DeclaredDimensions() {}

  /** The largest size declared in {@code b}, or null for a format this does not scan (JPEG, BMP). */
  static Size largest(byte[] b) {
    if (b.length >= 13 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
      return gif(b);
    }
    if (b.length >= 24 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return png(b);
    }
    if (b.length >= 16 && ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
      return webp(b);
    }
    if (b.length >= 8 && (ascii(b, 0, "II") || ascii(b, 0, "MM"))) {
      return tiff(b);
    }
    return null;
  }

  private static Size gif(byte[] b) {
    Size largest = new Size("GIF canvas", le16(b, 6), le16(b, 8));
    int p = 13;
    if ((b[10] & 0x80) != 0) {
      p += 3 << ((b[10] & 7) + 1); // global colour table
    }
    int frame = 0;
    while (p < b.length && frame < MAX_PARTS) {
      int block = b[p] & 0xff;
      if (block == 0x2C) { // image descriptor: left, top, width, height, flags
        if (p + 10 > b.length) {
          break;
        }
        frame++;
        largest = larger(largest, new Size("GIF frame " + frame, le16(b, p + 5), le16(b, p + 7)));
        int flags = b[p + 9] & 0xff;
        p += 10;
        if ((flags & 0x80) != 0) {
          p += 3 << ((flags & 7) + 1); // local colour table
        }
        p = skipSubBlocks(b, p + 1); // after the LZW code size
      } else if (block == 0x21) { // extension: label, then sub-blocks
        p = skipSubBlocks(b, p + 2);
      } else {
        break; // the trailer, or something that is not GIF
      }
    }
    return largest;
  }

  private static int skipSubBlocks(byte[] b, int p) {
    while (p < b.length) {
      int size = b[p] & 0xff;
      p += 1 + size;
      if (size == 0) {
        break;
      }
    }
    return p;
  }

  private static Size png(byte[] b) {
    Size largest = new Size("PNG image", be32(b, 16), be32(b, 20));
    int p = 8;
    int frame = 0;
    for (int chunks = 0; p + 8 <= b.length && chunks < MAX_PARTS; chunks++) {
      long length = be32(b, p);
      if (ascii(b, p + 4, "fcTL") && p + 20 <= b.length) { // sequence, width, height, ...
        frame++;
        largest = larger(largest, new Size("APNG frame " + frame, be32(b, p + 12), be32(b, p + 16)));
      }
      if (ascii(b, p + 4, "IEND") || length > b.length) {
        break;
      }
      p += 12 + (int) length;
    }
    return largest;
  }

  private static Size webp(byte[] b) {
    Size largest = null;
    int p = 12;
    int frame = 0;
    for (int chunks = 0; p + 8 <= b.length && chunks < MAX_PARTS; chunks++) {
      long size = le32(b, p + 4);
      int data = p + 8;
      if (ascii(b, p, "VP8X") && data + 10 <= b.length) {
        largest = larger(largest, new Size("WebP canvas", le24(b, data + 4) + 1, le24(b, data + 7) + 1));
      } else if (ascii(b, p, "ANMF") && data + 12 <= b.length) { // x, y, width - 1, height - 1
        frame++;
        largest = larger(largest, new Size("WebP frame " + frame, le24(b, data + 6) + 1, le24(b, data + 9) + 1));
      }
      if (size > b.length) {
        break;
      }
      p = data + (int) size + (int) (size & 1); // chunks are padded to an even size
    }
    return largest;
  }

  private static Size tiff(byte[] b) {
    boolean little = b[0] == 'I';
    if (u16(b, 2, little) != 42) {
      return null; // BigTIFF and anything else: the decoder's own checks apply
    }
    Size largest = null;
    long ifd = u32(b, 4, little);
    for (int page = 1; ifd > 0 && ifd + 2 <= b.length && page <= MAX_PARTS; page++) {
      int entries = u16(b, (int) ifd, little);
      long width = 0;
      long height = 0;
      int p = (int) ifd + 2;
      for (int i = 0; i < entries && p + 12 <= b.length; i++, p += 12) {
        int tag = u16(b, p, little);
        int type = u16(b, p + 2, little);
        long value = type == 3 ? u16(b, p + 8, little) : u32(b, p + 8, little); // SHORT or LONG
        if (tag == 256) {
          width = value;
        } else if (tag == 257) {
          height = value;
        }
      }
      largest = larger(largest, new Size("TIFF page " + page, width, height));
      long next = p + 4 <= b.length ? u32(b, p, little) : 0;
      if (next <= ifd) {
        break; // pages go forward; a loop or a step back ends the scan
      }
      ifd = next;
    }
    return largest;
  }

  private static Size larger(Size a, Size b) {
    return a == null || b.pixels() > a.pixels() ? b : a;
  }

  private static boolean ascii(byte[] b, int at, String s) {
    return at + s.length() <= b.length
        && new String(b, at, s.length(), StandardCharsets.ISO_8859_1).equals(s);
  }

  private static int le16(byte[] b, int at) {
    return at + 2 > b.length ? 0 : (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
  }

  private static long le24(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16;
  }

  private static long le32(byte[] b, int at) {
    return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
  }

  private static long be32(byte[] b, int at) {
    return (b[at] & 0xffL) << 24 | (b[at + 1] & 0xffL) << 16 | (b[at + 2] & 0xffL) << 8 | (b[at + 3] & 0xffL);
  }

  private static int u16(byte[] b, int at, boolean little) {
    if (at + 2 > b.length) {
      return 0;
    }
    return little ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 : (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }

  private static long u32(byte[] b, int at, boolean little) {
    if (at + 4 > b.length) {
      return 0;
    }
    return little ? le32(b, at) : be32(b, at);
  }
}
