package imagerec.worker.image;

/**
 * Reads the EXIF orientation (tag 0x0112 of the first image directory) from an encoded JPEG
 * (APP1 "Exif"), PNG ({@code eXIf} chunk), WebP ({@code EXIF} chunk) or TIFF file, without decoding
 * it. Every offset is checked against the data, so a malformed file yields 1 ("as stored"), never
 * an exception. Stateless.
 */
public final class ExifOrientation {
  private static final int ORIENTATION_TAG = 0x0112;

  private ExifOrientation() {}

  /** The orientation 1..8, or 1 when the file has none (or an invalid one). */
  public static int of(byte[] b) {
    try {
      int orientation;
      if (b.length >= 4 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8) {
        orientation = jpeg(b);
      } else if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
        orientation = png(b);
      } else if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
          && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
        orientation = webp(b);
      } else if (b.length >= 8 && ((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M'))) {
        orientation = tiff(b, 0, b.length);
      } else {
        orientation = 1;
      }
      return orientation >= 1 && orientation <= 8 ? orientation : 1;
    } catch (IndexOutOfBoundsException e) {
      return 1;
    }
  }

  private static int jpeg(byte[] b) {
    int p = 2;
    while (p + 4 <= b.length && (b[p] & 0xff) == 0xFF) {
      int marker = b[p + 1] & 0xff;
      if (marker == 0xDA || marker == 0xD9) {
        return 1; // start of scan or end of image: no more metadata
      }
      int length = u16be(b, p + 2);
      int data = p + 4;
      if (marker == 0xE1 && length >= 8 && exifPrefix(b, data)) {
        return tiff(b, data + 6, Math.min(b.length, p + 2 + length));
      }
      p += 2 + length;
    }
    return 1;
  }

  private static int png(byte[] b) {
    int p = 8;
    while (p + 8 <= b.length) {
      long length = u32be(b, p);
      if (length > b.length - p - 12L) {
        return 1;
      }
      int data = p + 8;
      if (b[p + 4] == 'e' && b[p + 5] == 'X' && b[p + 6] == 'I' && b[p + 7] == 'f') {
        return tiff(b, data, data + (int) length);
      }
      if (b[p + 4] == 'I' && b[p + 5] == 'E' && b[p + 6] == 'N' && b[p + 7] == 'D') {
        return 1;
      }
      p = data + (int) length + 4;
    }
    return 1;
  }

  private static int webp(byte[] b) {
    int p = 12;
    while (p + 8 <= b.length) {
      long length = u32le(b, p);
      if (length > b.length - p - 8L) {
        return 1;
      }
      int data = p + 8;
      if (b[p] == 'E' && b[p + 1] == 'X' && b[p + 2] == 'I' && b[p + 3] == 'F') {
        int start = data;
        if (length >= 6 && exifPrefix(b, data)) {
          start += 6; // some writers keep JPEG's "Exif\0\0" prefix
        }
        return tiff(b, start, data + (int) length);
      }
      p = data + (int) length + (int) (length & 1);
    }
    return 1;
  }

  /** Whether {@code b} holds JPEG's "Exif\0\0" header at {@code p}. */
  private static boolean exifPrefix(byte[] b, int p) {
    return b[p] == 'E' && b[p + 1] == 'x' && b[p + 2] == 'i' && b[p + 3] == 'f' && b[p + 4] == 0 && b[p + 5] == 0;
  }

  /** The orientation in the first directory of the TIFF structure at {@code b[start, end)}. */
  private static int tiff(byte[] b, int start, int end) {
    if (end - start < 8) {
      return 1;
    }
    boolean little = b[start] == 'I' && b[start + 1] == 'I';
    if (!little && !(b[start] == 'M' && b[start + 1] == 'M')) {
      return 1;
    }
    if (u16(b, start + 2, little) != 42) {
      return 1;
    }
    long ifd = u32(b, start + 4, little);
    if (ifd < 8 || ifd > end - start - 2L) {
      return 1;
    }
    int dir = start + (int) ifd;
    int entries = u16(b, dir, little);
    for (int i = 0; i < entries; i++) {
      int entry = dir + 2 + 12 * i;
      if (entry + 12 > end) {
        return 1;
      }
      if (u16(b, entry, little) == ORIENTATION_TAG) {
        int type = u16(b, entry + 2, little);
        return type == 3 ? u16(b, entry + 8, little) : type == 4 ? (int) u32(b, entry + 8, little) : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] b, int p, boolean little) {
    return little ? (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 : u16be(b, p);
  }

  private static long u32(byte[] b, int p, boolean little) {
    return little ? u32le(b, p) : u32be(b, p);
  }

  private static int u16be(byte[] b, int p) {
    return (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
  }

  private static long u32be(byte[] b, int p) {
    return ((long) u16be(b, p) << 16) | u16be(b, p + 2);
  }

  private static long u32le(byte[] b, int p) {
    return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (long) (b[p + 3] & 0xff) << 24;
  }
}
