package imagerec.worker.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded images (JPEG, PNG, BMP, GIF and WebP: the first frame of an animation; TIFF:
 * the first page) with ImageIO and the TwelveMonkeys plugins.
 *
 * <p>The dimensions are read from the header and checked against the pixel limit before any pixel
 * is decoded, so a small file declaring a huge image (a decompression bomb) costs nothing; so are
 * the sizes declared elsewhere in the file ({@link DeclaredDimensions}: a GIF's canvas and frames,
 * APNG and animated WebP frames, TIFF pages), though only the first frame or page is decoded. A
 * decoder warning (a truncated JPEG, for example) is treated as corrupt input rather than silently
 * returning a partly grey image. Thread-safe and stateless apart from its limit.
 */
public final class ImageDecoder {
  private final long maxPixels;

  /** @param maxPixels largest width x height accepted */
  public ImageDecoder(long maxPixels) {
    this.maxPixels = maxPixels;
  }

  /** Decodes {@code bytes}, or explains in the exception why it cannot. */
  public BufferedImage decode(byte[] bytes) throws InvalidImageException {
    if (bytes == null || bytes.length == 0) {
      throw new InvalidImageException("image is empty: send the encoded bytes of a JPEG, PNG, BMP, GIF, WebP or TIFF file");
    }
    DeclaredDimensions.Size declared = DeclaredDimensions.largest(bytes);
    if (declared != null && declared.pixels() > maxPixels) {
      throw new InvalidImageException(declared.what() + " declares " + declared.width() + "x" + declared.height()
          + " = " + declared.pixels() + " pixels, over this worker's limit of " + maxPixels
          + "; scale it down before sending");
    }
    ImageReader reader = null;
    // an in-memory stream: ImageIO.createImageInputStream would cache through a temporary file
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = readersFor(bytes, in);
      if (!readers.hasNext()) {
        throw new InvalidImageException("not a supported image (" + bytes.length
            + " bytes, starting " + hexPrefix(bytes) + "): send JPEG, PNG, BMP, GIF, WebP or TIFF");
      }
      reader = readers.next();
      String format = reader.getFormatName().toUpperCase();
      reader.setInput(in, true, true);
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      if (width <= 0 || height <= 0) {
        throw new InvalidImageException(format + " image declares no pixels (" + width + "x" + height + ")");
      }
      long pixels = (long) width * height;
      if (pixels > maxPixels) {
        throw new InvalidImageException(format + " image is " + width + "x" + height + " = " + pixels
            + " pixels, over this worker's limit of " + maxPixels + "; scale it down before sending");
      }
      List<String> warnings = new ArrayList<>();
      reader.addIIOReadWarningListener(new WarningCollector(warnings));
      BufferedImage image = reader.read(0, storedColours(reader));
      if (!warnings.isEmpty()) {
        throw new InvalidImageException("corrupt or truncated " + format + " image: " + warnings.get(0));
      }
      return image;
    } catch (IOException | RuntimeException e) {
      // ImageIO reports malformed data through IOException and, in some readers, runtime exceptions
      throw new InvalidImageException("corrupt or truncated image: " + describe(e));
    } finally {
      if (reader != null) {
        reader.dispose();
      }
    }
  }

  /**
   * Read parameters that keep the samples as stored: when the file embeds a colour profile, the
   * JDK's JPEG reader offers sRGB first and converts to it, and also offers the profile's own
   * colour space, in which it converts nothing. PIL applies no profile either, and models are
   * trained on PIL's pixels.
   */
  private static ImageReadParam storedColours(ImageReader reader) throws IOException {
    ImageReadParam param = reader.getDefaultReadParam();
    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
    if (types == null || !types.hasNext()) {
      return param;
    }
    ColorSpace first = types.next().getColorModel().getColorSpace();
    if (!first.isCS_sRGB()) {
      return param;
    }
    while (types.hasNext()) {
      ImageTypeSpecifier type = types.next();
      ColorSpace space = type.getColorModel().getColorSpace();
      if (!space.isCS_sRGB() && space.getType() == first.getType() && space.getNumComponents() == first.getNumComponents()) {
        param.setDestinationType(type);
        return param;
      }
    }
    return param;
  }

  /**
   * Readers for the format the leading bytes name (skipping ImageIO's probe of every installed
   * plugin); for anything else, whatever plugin recognises the stream.
   */
  private static Iterator<ImageReader> readersFor(byte[] b, ImageInputStream in) throws IOException {
    String format = null;
    if (startsWith(b, 0x89, 'P', 'N', 'G')) {
      format = "png";
    } else if (startsWith(b, 0xFF, 0xD8, 0xFF)) {
      format = "jpeg";
    } else if (startsWith(b, 'G', 'I', 'F', '8')) {
      format = "gif";
    } else if (startsWith(b, 'B', 'M')) {
      format = "bmp";
    }
    if (format != null) {
      Iterator<ImageReader> byName = ImageIO.getImageReadersByFormatName(format);
      if (byName.hasNext()) {
        return byName;
      }
    }
    return ImageIO.getImageReaders(in);
  }

  private static boolean startsWith(byte[] bytes, int... prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xff) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static String hexPrefix(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(4, bytes.length); i++) {
      sb.append(String.format("%02x", bytes[i] & 0xff));
    }
    return "0x" + sb;
  }

  private record WarningCollector(List<String> warnings) implements IIOReadWarningListener {
    @Override
    public void warningOccurred(ImageReader source, String warning) {
      warnings.add(warning);
    }
  }
}
