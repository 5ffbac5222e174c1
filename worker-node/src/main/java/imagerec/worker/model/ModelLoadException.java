package imagerec.worker.model;

/** A model folder could not be loaded; the message names the folder and the cause. */
public final class ModelLoadException extends Exception {
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
