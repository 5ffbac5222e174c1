package imagerec.balancer.forwarding;

/**
 * One request on its way to an answer: to a worker ({@link ForwardedCall}) or through the response
 * cache ({@link CachedCall}). Its listener hears the outcome once.
 */
interface Forwarded {
  void start();

  /** The client went away: the call stops, and the listener hears CANCELLED unless it heard an outcome first. */
  void cancel();
}
