package imagerec.balancer.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.apache.commons.fileupload2.core.RequestContext;

/**
 * A {@code multipart/form-data} body read in one pass with Apache Commons FileUpload's streaming
 * parser, held in memory (the parts are small: one image and a few short fields), within a limit on
 * the whole body.
 */
final class MultipartForm {
  /** Thrown when the body is not a readable multipart form. */
  static final class BadFormException extends Exception {
    final boolean tooLarge;

    BadFormException(String message, boolean tooLarge) {
      super(message);
      this.tooLarge = tooLarge;
    }
  }

  private final Map<String, byte[]> parts;

  private MultipartForm(Map<String, byte[]> parts) {
    this.parts = parts;
  }

  /** The bytes of the part named {@code name}, or null. */
  byte[] bytes(String name) {
    return parts.get(name);
  }

  /** The part named {@code name} as UTF-8 text, or null. */
  String text(String name) {
    byte[] b = parts.get(name);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  static boolean isMultipart(String contentType) {
    return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data");
  }

  /** Reads the exchange's body; the first part of each name is kept. */
  static MultipartForm read(HttpExchange exchange, long maxBytes) throws BadFormException, IOException {
    Parser parser = new Parser();
    parser.setMaxSize(maxBytes);
    parser.setMaxFileCount(16);
    Map<String, byte[]> parts = new HashMap<>();
    try {
      FileItemInputIterator items = parser.getItemIterator(context(exchange));
      while (items.hasNext()) {
        FileItemInput item = items.next();
        try (InputStream in = item.getInputStream()) {
          byte[] content = in.readAllBytes();
          parts.putIfAbsent(item.getFieldName(), content);
        }
      }
    } catch (FileUploadSizeException e) {
      throw new BadFormException("upload larger than the limit of " + maxBytes + " bytes", true);
    } catch (FileUploadException e) {
      throw new BadFormException("not a readable multipart/form-data body: " + e.getMessage(), false);
    }
    return new MultipartForm(parts);
  }

  private static RequestContext context(HttpExchange exchange) {
    return new RequestContext() {
      @Override
      public String getCharacterEncoding() {
        return StandardCharsets.UTF_8.name();
      }

      @Override
      public long getContentLength() {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        try {
          return length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
          return -1;
        }
      }

      @Override
      public String getContentType() {
        return exchange.getRequestHeaders().getFirst("Content-Type");
      }

      @Override
      public InputStream getInputStream() {
        return exchange.getRequestBody();
      }

      @Override
      public boolean isMultipartRelated() {
        return false;
      }
    };
  }

  /** FileUpload's parser over a {@link RequestContext}; only the streaming iterator is used. */
  private static final class Parser extends AbstractFileUpload<HttpExchange, DiskFileItem, DiskFileItemFactory> {
    @Override
    public FileItemInputIterator getItemIterator(HttpExchange exchange) throws FileUploadException, IOException {
      return getItemIterator(context(exchange));
    }

    @Override
    public Map<String, List<DiskFileItem>> parseParameterMap(HttpExchange exchange) {
      throw new UnsupportedOperationException("parts are read as streams");
    }

    @Override
    public List<DiskFileItem> parseRequest(HttpExchange exchange) {
      throw new UnsupportedOperationException("parts are read as streams");
    }
  }
}
