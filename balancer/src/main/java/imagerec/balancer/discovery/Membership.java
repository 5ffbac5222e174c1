package imagerec.balancer.discovery;

/** Adds and removes workers: implemented by the balancer, called by the discovery mechanisms. */
public interface Membership {

  /** Starts routing to {@code address} (host:port) once its health is SERVING; no-op if known. */
  void add(String address, String source);

  /** Stops routing to {@code address} if it was added by {@code source}; calls in flight finish. */
  void remove(String address, String source);
}
