package imagerec.worker.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import imagerec.grpc.WireHeaders;
import imagerec.worker.engine.InvalidRequestException;
import imagerec.worker.image.InvalidImageException;
import imagerec.worker.inference.DeadlineExpiredException;
import imagerec.worker.inference.OverloadedException;
import imagerec.worker.model.UnknownModelException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class StatusMapperTest {

  @Test
  void clientMistakesKeepTheirMessage() {
    assertMapped(Status.Code.INVALID_ARGUMENT, "corrupt", new InvalidImageException("corrupt"));
    assertMapped(Status.Code.INVALID_ARGUMENT, "top_k", new InvalidRequestException("top_k"));
    assertMapped(Status.Code.NOT_FOUND, "unknown model 'x'", new UnknownModelException("x", List.of("a")));
  }

  @Test
  void overloadCarriesARetryHint() {
    StatusRuntimeException e = StatusMapper.toException(new OverloadedException("full", Duration.ofMillis(250)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals("250", e.getTrailers().get(WireHeaders.RETRY_AFTER_MS));
  }

  @Test
  void expiredDeadlineIsDeadlineExceeded() {
    assertMapped(Status.Code.DEADLINE_EXCEEDED, "late", new DeadlineExpiredException("late"));
  }

  @Test
  void wrappedExceptionsAreUnwrapped() {
    assertMapped(Status.Code.INVALID_ARGUMENT, "bad", new CompletionException(new InvalidImageException("bad")));
  }

  @Test
  void bugsBecomeInternalWithAGenericMessage() {
    StatusRuntimeException e = StatusMapper.toException(new NullPointerException("secret detail"));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertFalse(e.getStatus().getDescription().contains("secret"), "internal details must not leak");
  }

  private static void assertMapped(Status.Code code, String message, Throwable failure) {
    Status status = StatusMapper.toException(failure).getStatus();
    assertEquals(code, status.getCode());
    assertEquals(message, status.getDescription().substring(0, Math.min(message.length(), status.getDescription().length())));
  }
}
