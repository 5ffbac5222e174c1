package imagerec.worker.grpc;

import imagerec.grpc.WireHeaders;
import imagerec.worker.engine.InvalidRequestException;
import imagerec.worker.image.InvalidImageException;
import imagerec.worker.inference.DeadlineExpiredException;
import imagerec.worker.inference.OverloadedException;
import imagerec.worker.model.UnknownModelException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the worker's exceptions become gRPC statuses (see the table in DESIGN.md).
 * Client mistakes keep their message; anything unexpected becomes INTERNAL with a generic message
 * and is logged here with its cause.
 */
public final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  private StatusMapper() {}

  /** The status for a failure of one request. */
  public static StatusRuntimeException toException(Throwable failure) {
    Throwable e = unwrap(failure);
    Status status;
    Metadata trailers = new Metadata();
    if (e instanceof InvalidImageException || e instanceof InvalidRequestException) {
      status = Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    } else if (e instanceof UnknownModelException) {
      status = Status.NOT_FOUND.withDescription(e.getMessage());
    } else if (e instanceof OverloadedException overloaded) {
      status = Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
      trailers.put(WireHeaders.RETRY_AFTER_MS, Long.toString(overloaded.retryAfter().toMillis()));
    } else if (e instanceof DeadlineExpiredException) {
      status = Status.DEADLINE_EXCEEDED.withDescription(e.getMessage());
    } else if (e instanceof CancellationException) {
      status = Status.CANCELLED.withDescription("request cancelled");
    } else if (e instanceof StatusRuntimeException sre) {
      return sre;
    } else {
      log.error("internal error while recognizing", e);
      status = Status.INTERNAL.withDescription("internal error in worker; see the worker's log");
    }
    return status.asRuntimeException(trailers);
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
