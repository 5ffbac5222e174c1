package imagerec.worker.engine;

/** A request field other than the image is out of range (top_k, for example). */
public final class InvalidRequestException extends Exception {
  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
