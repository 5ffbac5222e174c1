package imagerec.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project's version, as the build wrote it into {@code version.properties}. */
public final class ServerVersion {
  private ServerVersion() {}

  /** The version, or "unknown" when the build did not record one. */
  public static String current() {
    try (InputStream in = ServerVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
