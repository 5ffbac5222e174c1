package imagerec.cli.bench;

import imagerec.v1.RecognizeResponse;
import io.grpc.Status;

/**
 * How one call ended, as a sender saw it.
 *
 * @param code "OK", or the gRPC code name of the failure (call status or stream item error), or
 *     NOT_SENT for a call the load generator dropped because too many were in flight
 * @param worker the worker that answered ("" when none did)
 * @param batchSize the size of the inference batch the image was part of (0 if unknown or failed)
 * @param description the failure's description, for messages ("" on success)
 */
public record CallOutcome(String code, String worker, int batchSize, String description) {
  public static final String OK = "OK";
  public static final String NOT_SENT = "NOT_SENT";

  /** A response: a success, or a stream item's error. */
  public static CallOutcome of(RecognizeResponse response) {
    if (response.hasError()) {
      return new CallOutcome(Status.fromCodeValue(response.getError().getCode()).getCode().name(),
          response.getWorker(), 0, response.getError().getMessage());
    }
    return new CallOutcome(OK, response.getWorker(), response.getTimings().getBatchSize(), "");
  }

  /** A call that failed with {@code failure}. */
  public static CallOutcome failed(Throwable failure) {
    return failed(Status.fromThrowable(failure));
  }

  /** A call that failed with {@code status}. */
  public static CallOutcome failed(Status status) {
    return new CallOutcome(status.getCode().name(), "", 0, String.valueOf(status.getDescription()));
  }

  public boolean ok() {
    return code.equals(OK);
  }
}
