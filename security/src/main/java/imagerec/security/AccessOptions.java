package imagerec.security;

import picocli.CommandLine.Option;

/**
 * Who may call a server's Recognizer service and what it reveals of itself, the options both
 * servers share as a picocli mixin: {@code --token} ({@code IMAGEREC_TOKEN}) and
 * {@code --[no-]reflection} ({@code IMAGEREC_REFLECTION}).
 */
public final class AccessOptions {
  @Option(names = "--token", defaultValue = "${env:IMAGEREC_TOKEN}", paramLabel = "TOKEN",
      description = "Recognizer calls (and the balancer's HTTP uploads) must carry 'authorization: Bearer TOKEN'; "
          + "health and reflection stay open")
  String token;

  @Option(names = "--reflection", defaultValue = "${env:IMAGEREC_REFLECTION:-true}", negatable = true,
      fallbackValue = "true", description = "serve gRPC server reflection (default: ${DEFAULT-VALUE})")
  boolean reflection;

  /** The token, or null when none is set (blank counts as none). */
  public String token() {
    return token == null || token.isBlank() ? null : token.strip();
  }

  /** Whether server reflection is served. */
  public boolean reflection() {
    return reflection;
  }
}
