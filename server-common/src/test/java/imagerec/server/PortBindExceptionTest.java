package imagerec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.BindException;
import org.junit.jupiter.api.Test;

/** One line that names the address, the option to change, and the operating system's reason. */
class PortBindExceptionTest {
  @Test
  void aTakenPortNamesThePortOption() {
    PortBindException e = new PortBindException("--metrics-port", "0.0.0.0", 9091,
        new IOException("wrapped", new BindException("bind(..) failed: Address already in use")));
    assertEquals("cannot listen on 0.0.0.0:9091 (--metrics-port): address already in use; "
        + "choose another with --metrics-port", e.getMessage());
  }

  @Test
  void anAddressThisHostDoesNotHaveNamesTheHostOption() {
    PortBindException e = new PortBindException("--admin-port", "192.0.2.1", 50052,
        new BindException("bind(..) failed with error(-99): Cannot assign requested address"));
    assertEquals("cannot listen on 192.0.2.1:50052 (--admin-port): cannot assign requested address; "
        + "check --admin-host", e.getMessage());
  }

  @Test
  void bindWrapsAnIOExceptionAndPassesAPortBindExceptionOn() {
    PortBindException wrapped = assertThrows(PortBindException.class,
        () -> PortBindException.bind("--port", "127.0.0.1", 1, () -> {
          throw new BindException("Permission denied");
        }));
    assertEquals("--port", wrapped.option());
    assertEquals("cannot listen on 127.0.0.1:1 (--port): permission denied; choose another with --port",
        wrapped.getMessage());
    assertSame(wrapped, assertThrows(PortBindException.class, () -> PortBindException.bind("--http-port", "h", 2, () -> {
      throw wrapped;
    })));
  }
}
