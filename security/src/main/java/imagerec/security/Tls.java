package imagerec.security;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.Closeable;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * gRPC credentials from {@link TlsConfig}s, whose PEM files are read again every {@code reload}
 * period, so a renewed certificate takes effect without a restart (new connections use it;
 * open ones keep theirs). Owns the reload tasks; {@link #close()} stops them.
 */
public final class Tls implements Closeable {
  private final ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor(
      new ThreadFactoryBuilder().setNameFormat("tls-reload").setDaemon(true).build());
  private final Duration reload;
  private final List<Closeable> reloads = new ArrayList<>();

  /** @param reload how often the PEM files are read again */
  public Tls(Duration reload) {
    this.reload = reload;
  }

  /** Plaintext when {@code config} has no certificate; TLS, and mutual TLS when it names a CA. */
  public ServerCredentials server(TlsConfig config) throws IOException, GeneralSecurityException {
    if (!config.hasIdentity()) {
      return InsecureServerCredentials.create();
    }
    TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder().keyManager(keyManager(config));
    if (config.ca() != null) {
      builder.trustManager(trustManager(config)).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return builder.build();
  }

  /**
   * Plaintext when {@code tls} is false; else TLS trusting {@code config.ca()} (or the system's
   * CAs), presenting {@code config}'s certificate when it has one (mutual TLS).
   */
  public ChannelCredentials channel(boolean tls, TlsConfig config) throws IOException, GeneralSecurityException {
    if (!tls) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    if (config.ca() != null) {
      builder.trustManager(trustManager(config));
    }
    if (config.hasIdentity()) {
      builder.keyManager(keyManager(config));
    }
    return builder.build();
  }

  /**
   * A JDK {@link SSLContext} presenting {@code config}'s certificate (reloaded like the gRPC
   * ones), for HTTPS; null when {@code config} has no certificate. Client certificates are not
   * asked for: a browser has none, so the HTTP port's callers prove themselves with tokens.
   */
  public SSLContext https(TlsConfig config) throws IOException, GeneralSecurityException {
    if (!config.hasIdentity()) {
      return null;
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {keyManager(config)}, null, null);
    return context;
  }

  private AdvancedTlsX509KeyManager keyManager(TlsConfig config) throws IOException, GeneralSecurityException {
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    reloads.add(keys.updateIdentityCredentials(config.cert().toFile(), config.key().toFile(),
        reload.toMillis(), TimeUnit.MILLISECONDS, reloader)::close);
    return keys;
  }

  private AdvancedTlsX509TrustManager trustManager(TlsConfig config) throws IOException, GeneralSecurityException {
    AdvancedTlsX509TrustManager trust = AdvancedTlsX509TrustManager.newBuilder()
        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
        .build();
    reloads.add(trust.updateTrustCredentials(config.ca().toFile(), reload.toMillis(), TimeUnit.MILLISECONDS,
        reloader)::close);
    return trust;
  }

  @Override
  public void close() {
    reloader.shutdownNow();
    for (Closeable c : reloads) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing to do: the task is cancelled anyway
      }
    }
  }
}
