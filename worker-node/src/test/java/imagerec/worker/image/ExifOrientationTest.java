package imagerec.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExifOrientationTest {

  /** A JPEG start with an APP1 Exif segment whose first directory holds the orientation. */
  private static byte[] jpegWithOrientation(int orientation, boolean bigEndian) {
    ByteArrayOutputStream tiff = new ByteArrayOutputStream();
    int[] header = bigEndian ? new int[] {'M', 'M', 0, 42, 0, 0, 0, 8} : new int[] {'I', 'I', 42, 0, 8, 0, 0, 0};
    for (int b : header) {
      tiff.write(b);
    }
    int[] entry = bigEndian
        ? new int[] {0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0}
        : new int[] {1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0};
    for (int b : entry) {
      tiff.write(b);
    }
    byte[] t = tiff.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int length = 2 + 6 + t.length;
    for (int b : new int[] {0xFF, 0xD8, 0xFF, 0xE1, length >> 8, length & 0xff, 'E', 'x', 'i', 'f', 0, 0}) {
      out.write(b);
    }
    out.writeBytes(t);
    for (int b : new int[] {0xFF, 0xDA, 0, 2}) {
      out.write(b);
    }
    return out.toByteArray();
  }

  @Test
  void readsTheOrientationOfBothByteOrders() {
    for (int o = 1; o <= 8; o++) {
      assertEquals(o, ExifOrientation.of(jpegWithOrientation(o, false)));
      assertEquals(o, ExifOrientation.of(jpegWithOrientation(o, true)));
    }
  }

  @Test
  void noneOrBrokenMetadataMeansAsStored() {
    byte[] full = jpegWithOrientation(6, false);
    for (int cut = 0; cut < full.length - 4; cut++) {
      int o = ExifOrientation.of(Arrays.copyOf(full, cut));
      assertEquals(true, o == 1 || o == 6, "cut at " + cut + " gave " + o);
    }
    assertEquals(1, ExifOrientation.of(jpegWithOrientation(9, false)), "out of range");
    assertEquals(1, ExifOrientation.of(new byte[] {1, 2, 3}));
  }
}
