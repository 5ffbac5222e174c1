package imagerec.cli.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** A tree {@code root/<label>/<image file>}: each image's true label is its folder's name. */
public final class ImageFolderDataset implements LabelledDataset {
  /** File extensions taken for images, here and by {@code imagerec recognize} on folders. */
  private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff");

  private final Path root;
  private final List<Path> files;

  private ImageFolderDataset(Path root, List<Path> files) {
    this.root = root;
    this.files = files;
  }

  static ImageFolderDataset scan(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root, 2)) {
      List<Path> files = walk.filter(Files::isRegularFile)
          .filter(p -> root.relativize(p).getNameCount() == 2)
          .filter(ImageFolderDataset::hasImageExtension)
          .sorted().toList();
      if (files.isEmpty()) {
        throw new IOException(root + " has neither IDX files nor <label>/<image> folders");
      }
      return new ImageFolderDataset(root, files);
    }
  }

  /** Whether {@code file}'s name ends in an image format's extension. */
  public static boolean hasImageExtension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase());
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public String describe() {
    return root + " (image folders)";
  }

  @Override
  public byte[] image(int i) throws IOException {
    return Files.readAllBytes(files.get(i));
  }

  @Override
  public int labelIndex(int i) {
    return -1;
  }

  @Override
  public String labelName(int i) {
    return files.get(i).getParent().getFileName().toString();
  }
}
