package imagerec.cli.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Images with their true labels, read on demand so a large set need not sit in memory encoded. */
public interface LabelledDataset {

  /** Number of images. */
  int size();

  /** A short description for reports. */
  String describe();

  /** The encoded image {@code i} (PNG, JPEG, ...). */
  byte[] image(int i) throws IOException;

  /** The true class index of image {@code i}, or -1 when the label is known by name only. */
  int labelIndex(int i);

  /** The true label name of image {@code i}, or null when it is known by index only. */
  String labelName(int i);

  /**
   * Opens {@code path}: a folder with MNIST-layout IDX files ({@code <split>-images-idx3-ubyte[.gz]}
   * and {@code <split>-labels-idx1-ubyte[.gz]}), or an image-folder tree {@code path/<label>/<file>}.
   */
  static LabelledDataset open(Path path, String split) throws IOException {
    if (!Files.isDirectory(path)) {
      throw new IOException(path + " is not a folder");
    }
    Path idx = IdxDataset.find(path, split);
    return idx != null ? IdxDataset.read(path, split) : ImageFolderDataset.scan(path);
  }

  /** Label names compared loosely: case and punctuation ignored ("t-shirt-top" = "T-shirt/top"). */
  static String normalize(String label) {
    return label.toLowerCase().replaceAll("[^\\p{L}\\p{N}]", "");
  }
}
