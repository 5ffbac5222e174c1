package imagerec.worker.image;

/**
 * An 8-bit image in planes: one plane (grey) or three (R, G, B), each {@code width * height}
 * bytes in row order. The form the worker resizes, crops and normalizes, like a PIL image of mode
 * "L" or "RGB". Planes are not copied: whoever makes one hands its arrays over. Planes are never
 * written once in a ByteImage (every step makes new ones), so one array may serve several planes.
 */
public record ByteImage(int width, int height, byte[][] planes) {

  public ByteImage {
    if (planes.length != 1 && planes.length != 3) {
      throw new IllegalArgumentException("1 or 3 planes, not " + planes.length);
    }
    for (byte[] plane : planes) {
      if (plane.length != width * height) {
        throw new IllegalArgumentException("plane of " + plane.length + " bytes for " + width + "x" + height);
      }
    }
  }

  public int channels() {
    return planes.length;
  }

  /**
   * This image turned as an EXIF orientation says, so that it stands as it is seen (what PIL's
   * {@code ImageOps.exif_transpose} does); 1 or an unknown value: this image itself.
   */
  public ByteImage oriented(int orientation) {
    if (orientation < 2 || orientation > 8) {
      return this;
    }
    boolean swap = orientation >= 5;
    int w = swap ? height : width;
    int h = swap ? width : height;
    byte[][] out = new byte[planes.length][w * h];
    int[] source = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int ix;
        int iy;
        switch (orientation) {
          case 2 -> { ix = width - 1 - x; iy = y; }                // mirrored left-right
          case 3 -> { ix = width - 1 - x; iy = height - 1 - y; }   // turned 180
          case 4 -> { ix = x; iy = height - 1 - y; }               // mirrored top-bottom
          case 5 -> { ix = y; iy = x; }                            // transposed
          case 6 -> { ix = y; iy = height - 1 - x; }               // turned 90 clockwise
          case 7 -> { ix = width - 1 - y; iy = height - 1 - x; }   // transversed
          default -> { ix = width - 1 - y; iy = x; }               // 8: turned 90 counter-clockwise
        }
        source[y * w + x] = iy * width + ix;
      }
    }
    for (int c = 0; c < planes.length; c++) {
      byte[] in = planes[c];
      byte[] o = out[c];
      for (int i = 0; i < o.length; i++) {
        o[i] = in[source[i]];
      }
    }
    return new ByteImage(w, h, out);
  }
}
