package imagerec.security;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The TLS options both servers share, as a picocli mixin: {@code --tls-cert}, {@code --tls-key}
 * and {@code --tls-client-ca} (or {@code IMAGEREC_TLS_CERT}, {@code IMAGEREC_TLS_KEY},
 * {@code IMAGEREC_TLS_CLIENT_CA}).
 */
public final class ServerTlsOptions {
  @Option(names = "--tls-cert", defaultValue = "${env:IMAGEREC_TLS_CERT}", paramLabel = "PEM",
      description = "serve TLS with this certificate chain (with --tls-key); read again every minute")
  Path cert;

  @Option(names = "--tls-key", defaultValue = "${env:IMAGEREC_TLS_KEY}", paramLabel = "PEM",
      description = "the private key of --tls-cert (PKCS#8 PEM)")
  Path key;

  @Option(names = "--tls-client-ca", defaultValue = "${env:IMAGEREC_TLS_CLIENT_CA}", paramLabel = "PEM",
      description = "mutual TLS: only clients with a certificate signed by this CA may connect")
  Path clientCa;

  /** The options as a config, or a ParameterException of {@code command} saying what is wrong. */
  public TlsConfig config(CommandLine command) {
    TlsConfig config = new TlsConfig(cert, key, clientCa);
    String problem = config.problem("--tls-cert", "--tls-key", "--tls-client-ca");
    if (problem == null && clientCa != null && cert == null) {
      problem = "--tls-client-ca needs --tls-cert and --tls-key";
    }
    if (problem != null) {
      throw new CommandLine.ParameterException(command, problem);
    }
    return config;
  }
}
