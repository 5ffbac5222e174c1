package imagerec.cli;

import com.google.gson.Gson;
import imagerec.grpc.HostPort;
import imagerec.grpc.WireHeaders;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Options every command shares: where to connect, how (TLS, token), and how long to wait. Flags
 * win over the {@code IMAGEREC_*} environment variables named in each option's help.
 */
public final class TargetOptions {
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = {"-t", "--target"}, defaultValue = "${env:IMAGEREC_TARGET:-localhost:50051}",
      paramLabel = "HOST:PORT", description = "balancer (or worker) address; env IMAGEREC_TARGET (default: ${DEFAULT-VALUE})")
  String target;

  @Option(names = "--deadline", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "deadline per call, e.g. 500ms, 30s, 2m (default: 30s per image; none for a whole stream)")
  Duration deadline;

  @Option(names = "--tls", description = "connect with TLS, trusting the system's CA certificates (or --ca-cert)")
  boolean tls;

  @Option(names = "--ca-cert", paramLabel = "PEM", defaultValue = "${env:IMAGEREC_CA_CERT}",
      description = "trust this CA certificate (implies --tls); env IMAGEREC_CA_CERT")
  Path caCert;

  @Option(names = "--cert", paramLabel = "PEM", defaultValue = "${env:IMAGEREC_CLIENT_CERT}",
      description = "client certificate for mutual TLS (with --key); env IMAGEREC_CLIENT_CERT")
  Path cert;

  @Option(names = "--key", paramLabel = "PEM", defaultValue = "${env:IMAGEREC_CLIENT_KEY}",
      description = "private key of --cert (PKCS#8 PEM); env IMAGEREC_CLIENT_KEY")
  Path key;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:IMAGEREC_TOKEN}",
      description = "send 'authorization: Bearer TOKEN' with every call; env IMAGEREC_TOKEN")
  String token;

  @Option(names = "--wait-for-ready", description = "while the target cannot be reached (a restart), wait for it "
      + "up to each call's deadline instead of failing the call at once")
  boolean waitForReady;

  @Option(names = {"-v", "--verbose"}, description = "print stack traces of errors")
  boolean verbose;

  /**
   * The retry policy of every channel: a call that fails with UNAVAILABLE before any answer (the
   * balancer restarting, no worker ready yet) is tried again, up to 5 attempts with a backoff from
   * 0.1 s to 2 s. The same file is the policy recommended to other clients (README).
   */
  static final Map<String, ?> SERVICE_CONFIG = serviceConfig();

  @SuppressWarnings("unchecked")
  private static Map<String, ?> serviceConfig() {
    try (InputStream in = TargetOptions.class.getResourceAsStream("service-config.json")) {
      return new Gson().fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Opens a connection to the target as the options say. */
  public Connection connect() {
    return connect(false);
  }

  /**
   * Opens a connection; with {@code direct}, response callbacks run on the transport's threads,
   * which saves a thread hand-off per call for callers whose callbacks never block (the load
   * generator).
   */
  public Connection connect(boolean direct) {
    checkTarget();
    ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, credentials())
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .defaultServiceConfig(SERVICE_CONFIG)
        .enableRetry();
    if (direct) {
      builder.directExecutor();
    }
    ManagedChannel channel = builder.build();
    return new Connection(channel, ClientInterceptors.intercept(channel, interceptors()));
  }

  private ClientInterceptor[] interceptors() {
    List<ClientInterceptor> interceptors = new ArrayList<>();
    if (waitForReady) {
      interceptors.add(new ClientInterceptor() {
        @Override
        public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                                   CallOptions options, Channel next) {
          return next.newCall(method, options.withWaitForReady());
        }
      });
    }
    if (token == null || token.isBlank()) {
      return interceptors.toArray(ClientInterceptor[]::new);
    }
    String value = WireHeaders.BEARER + token.strip();
    interceptors.add(new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                                 CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            headers.put(WireHeaders.AUTHORIZATION, value);
            super.start(listener, headers);
          }
        };
      }
    });
    return interceptors.toArray(ClientInterceptor[]::new);
  }

  /**
   * A target of HOST:PORT is checked here (one with a '/' is a gRPC target URI, dns:///... or
   * unix:///..., left to gRPC): an out-of-range port would otherwise make the channel's resolver
   * fail on its own thread and the calls wait for ever.
   */
  private void checkTarget() {
    if (!target.contains("/")) {
      try {
        HostPort.parse(target, "--target");
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(command.commandLine(), e.getMessage());
      }
    }
  }

  private ChannelCredentials credentials() {
    if (!tls && caCert == null && cert == null) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
      if (caCert != null) {
        builder.trustManager(caCert.toFile());
      }
      if (cert != null) {
        if (key == null) {
          throw new CommandLine.ParameterException(command.commandLine(), "--cert needs --key");
        }
        builder.keyManager(cert.toFile(), key.toFile());
      }
      return builder.build();
    } catch (IOException e) {
      throw new CommandLine.ParameterException(command.commandLine(), "cannot read the TLS files of --ca-cert, "
          + "--cert and --key: " + e.getMessage());
    }
  }

  /** The deadline for one call: the user's, or {@code fallback}. */
  public Duration callDeadline(Duration fallback) {
    return deadline != null ? deadline : fallback;
  }
}
