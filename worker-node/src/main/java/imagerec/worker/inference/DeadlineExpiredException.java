package imagerec.worker.inference;

/** The request's deadline passed before it could be run; it was dropped without inference. */
public final class DeadlineExpiredException extends RuntimeException {
  public DeadlineExpiredException(String message) {
    super(message, null, false, false);
  }
}
