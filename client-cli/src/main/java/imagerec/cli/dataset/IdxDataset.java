package imagerec.cli.dataset;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * An MNIST-layout data set (IDX files, optionally gzipped), as shipped for Fashion-MNIST by
 * Debian's {@code dataset-fashion-mnist}. Images are sent as grayscale PNGs, losslessly.
 */
public final class IdxDataset implements LabelledDataset {
  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  private final String description;
  private final byte[] pixels;
  private final byte[] labels;
  private final int rows;
  private final int cols;

  private IdxDataset(String description, byte[] pixels, byte[] labels, int rows, int cols) {
    this.description = description;
    this.pixels = pixels;
    this.labels = labels;
    this.rows = rows;
    this.cols = cols;
  }

  /** The images file of {@code split} in {@code dir}, or null if there is none. */
  static Path find(Path dir, String split) {
    for (String name : new String[] {split + "-images-idx3-ubyte", split + "-images-idx3-ubyte.gz",
        split + "-images.idx3-ubyte"}) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    return null;
  }

  static IdxDataset read(Path dir, String split) throws IOException {
    Path imagesFile = find(dir, split);
    Path labelsFile = imagesFile.resolveSibling(imagesFile.getFileName().toString().replace("images-idx3", "labels-idx1")
        .replace("images.idx3", "labels.idx1"));
    int rows;
    int cols;
    byte[] pixels;
    byte[] labels;
    try (DataInputStream in = open(imagesFile)) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new IOException(imagesFile + ": not an IDX image file (magic " + Integer.toHexString(magic) + ")");
      }
      int count = in.readInt();
      rows = in.readInt();
      cols = in.readInt();
      pixels = in.readNBytes(count * rows * cols);
      if (pixels.length != count * rows * cols) {
        throw new IOException(imagesFile + ": truncated");
      }
    }
    try (DataInputStream in = open(labelsFile)) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw new IOException(labelsFile + ": not an IDX label file");
      }
      labels = in.readNBytes(in.readInt());
    }
    if (labels.length * rows * cols != pixels.length) {
      throw new IOException(dir + ": " + labels.length + " labels for " + pixels.length / (rows * cols) + " images");
    }
    return new IdxDataset(dir + " (IDX, split " + split + ")", pixels, labels, rows, cols);
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in);
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public byte[] image(int i) throws IOException {
    BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, cols, rows, java.util.Arrays.copyOfRange(
        pixels, i * rows * cols, (i + 1) * rows * cols));
    ByteArrayOutputStream png = new ByteArrayOutputStream(1024);
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(png)) { // no temporary file
      ImageIO.write(image, "png", out);
    }
    return png.toByteArray();
  }

  @Override
  public int labelIndex(int i) {
    return labels[i] & 0xff;
  }

  @Override
  public String labelName(int i) {
    return null;
  }
}
