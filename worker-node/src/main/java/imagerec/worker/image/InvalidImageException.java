package imagerec.worker.image;

/** The bytes sent are not an image this worker can use; the message tells the user why. */
public final class InvalidImageException extends Exception {
  public InvalidImageException(String message) {
    super(message, null, false, false);
  }
}
