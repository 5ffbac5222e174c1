package imagerec.cli;

import imagerec.v1.RecognizeResponse;
import io.grpc.Status;

/**
 * What became of one input: a response, or an error code name (a gRPC code, or UNREADABLE for a
 * file that could not be read) and a message.
 */
record Outcome(RecognizeResponse response, String error, String message) {

  static Outcome of(RecognizeResponse response) {
    if (response.hasError()) {
      Status status = Status.fromCodeValue(response.getError().getCode());
      return failed(status.getCode().name(), response.getError().getMessage());
    }
    return new Outcome(response, null, null);
  }

  static Outcome failed(String code, String message) {
    return new Outcome(null, code, message);
  }

  boolean ok() {
    return error == null;
  }
}
