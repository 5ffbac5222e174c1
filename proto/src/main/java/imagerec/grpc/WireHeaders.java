package imagerec.grpc;

import io.grpc.Metadata;

/**
 * The headers and trailers of imagerec's gRPC contract, named once: servers, balancer and CLI use
 * these and never spell a name themselves.
 */
public final class WireHeaders {
  /** The header a bearer token travels in, as {@code Bearer TOKEN}. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The prefix of {@link #AUTHORIZATION}'s value. */
  public static final String BEARER = "Bearer ";

  /**
   * Trailer of a RESOURCE_EXHAUSTED answer: how long the caller should wait, in milliseconds, before
   * sending that server more. Not gRPC's own {@code grpc-retry-pushback-ms}: grpc-java retries a
   * call that carries it whatever its status, up to the policy's maxAttempts, so under overload
   * every client with a retry policy would multiply the load it was refused for.
   */
  public static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of("imagerec-retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailer of every worker call: the calls in progress on the worker, this one included. */
  public static final Metadata.Key<String> IN_FLIGHT =
      Metadata.Key.of("imagerec-in-flight", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailer of every worker call: the images waiting for inference, over all its models. */
  public static final Metadata.Key<String> QUEUE_DEPTH =
      Metadata.Key.of("imagerec-queue-depth", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Trailer of every worker call: how many images may wait, over all its models; a depth at
   * capacity means the next image is refused.
   */
  public static final Metadata.Key<String> QUEUE_CAPACITY =
      Metadata.Key.of("imagerec-queue-capacity", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Request header {@code no}: do not answer this call from the balancer's response cache, nor keep
   * its answer. Trailer of a cacheable call through a balancer with a cache: {@code hit} (answered
   * from the cache), {@code coalesced} (answered by an identical call in flight) or {@code miss}.
   */
  public static final Metadata.Key<String> CACHE = Metadata.Key.of("imagerec-cache", Metadata.ASCII_STRING_MARSHALLER);

  private WireHeaders() {}
}
