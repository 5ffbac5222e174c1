package imagerec.security;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS settings of one side of a connection, as PEM files.
 *
 * @param cert this side's certificate chain (null: no certificate; a server then serves plaintext)
 * @param key its private key, PKCS#8 PEM
 * @param ca the certificate authority trusted to sign the other side's certificate: for a server,
 *     setting it requires every client to present a certificate it signed (mutual TLS); for a
 *     client, the CA of the server (null: the system's trusted CAs)
 */
public record TlsConfig(Path cert, Path key, Path ca) {
  /** No TLS. */
  public static final TlsConfig OFF = new TlsConfig(null, null, null);

  /** Whether this side has a certificate of its own. */
  public boolean hasIdentity() {
    return cert != null;
  }

  /** Null when the files are usable, else the message to stop with. */
  public String problem(String certOption, String keyOption, String caOption) {
    if ((cert == null) != (key == null)) {
      return certOption + " and " + keyOption + " go together";
    }
    for (var entry : new Object[][] {{certOption, cert}, {keyOption, key}, {caOption, ca}}) {
      Path file = (Path) entry[1];
      if (file != null && !Files.isReadable(file)) {
        return entry[0] + " " + file + " is not a readable file";
      }
    }
    return null;
  }
}
