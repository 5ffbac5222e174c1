package imagerec.worker.model;

/** A request named a model that this worker does not serve. */
public final class UnknownModelException extends Exception {
  public UnknownModelException(String name, Iterable<String> known) {
    super("unknown model '" + name + "'; this worker serves: " + String.join(", ", known));
  }
}
