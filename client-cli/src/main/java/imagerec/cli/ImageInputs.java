package imagerec.cli;

import imagerec.cli.dataset.ImageFolderDataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Expands what the user named into a list of inputs: files as given, folders recursively (files
 * with an image extension, in name order), glob patterns the shell did not expand, and {@code -}
 * for one image on standard input.
 */
final class ImageInputs {
  static final String STDIN = "-";

  private ImageInputs() {}

  /** The inputs, or an exception naming the first argument that matches nothing. */
  static List<String> expand(List<String> arguments) {
    List<String> inputs = new ArrayList<>();
    for (String arg : arguments) {
      if (arg.equals(STDIN)) {
        inputs.add(STDIN);
        continue;
      }
      Path path = Path.of(arg);
      if (Files.isDirectory(path)) {
        inputs.addAll(imagesUnder(path));
      } else if (Files.exists(path)) {
        inputs.add(arg);
      } else if (arg.contains("*") || arg.contains("?") || arg.contains("[")) {
        List<String> matches = glob(arg);
        if (matches.isEmpty()) {
          throw new IllegalArgumentException("no file matches " + arg);
        }
        inputs.addAll(matches);
      } else {
        throw new IllegalArgumentException("no such file or folder: " + arg);
      }
    }
    return inputs;
  }

  /** The bytes of an input. */
  static byte[] read(String input, InputStream stdin) throws IOException {
    return input.equals(STDIN) ? stdin.readAllBytes() : Files.readAllBytes(Path.of(input));
  }

  private static List<String> imagesUnder(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).filter(ImageFolderDataset::hasImageExtension).sorted()
          .map(Path::toString).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> glob(String pattern) {
    int slash = pattern.lastIndexOf('/', indexOfWildcard(pattern));
    String prefix = slash >= 0 ? pattern.substring(0, slash + 1) : "";
    Path root = Path.of(prefix.isEmpty() ? "." : prefix);
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(slash + 1));
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile)
          .filter(p -> matcher.matches(root.relativize(p)))
          .map(p -> prefix + root.relativize(p))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int indexOfWildcard(String s) {
    for (int i = 0; i < s.length(); i++) {
      if ("*?[{".indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }
}
