package imagerec.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {
  @ParameterizedTest
  @CsvSource({
      "worker-1:50061, worker-1, 50061",
      "10.0.0.7:1, 10.0.0.7, 1",
      "[::1]:65535, ::1, 65535",
      "[fe80::1%eth0]:50061, fe80::1%eth0, 50061",
      "imagerec-worker.default.svc.cluster.local:8081, imagerec-worker.default.svc.cluster.local, 8081"})
  void readsAHostAndAPortAndWritesThemBackTheSame(String address, String host, int port) {
    HostPort parsed = HostPort.parse(address);
    assertEquals(new HostPort(host, port), parsed);
    assertEquals(address, parsed.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "localhost          | is not HOST:PORT",
      ":50061             | is not HOST:PORT",
      "::1:50061          | is not HOST:PORT",
      "[::1:50061         | is not HOST:PORT",
      "[not-v6]:50061     | is not HOST:PORT",
      "worker:            | has no port number",
      "worker:http        | has no port number",
      "worker:123456      | has no port number",
      "worker:0           | port 0 is not 1 to 65535",
      "worker:65536       | port 65536 is not 1 to 65535",
      "worker:99999       | port 99999 is not 1 to 65535",
      "'work er:50061'    | holds a space",
      "dns:///worker:1    | is not HOST:PORT",
      "[::1]x:1           | is not HOST:PORT"})
  void refusesWhatIsNotAHostAndAPortSayingWhyAndQuotingIt(String address, String why) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(address));
    assertTrue(e.getMessage().contains(why) && e.getMessage().contains("'" + address + "'"), e.getMessage());
  }

  @Test
  void aComplaintCanSayWhereTheAddressCameFrom() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse("w:0", "--workers"));
    assertEquals("--workers 'w:0': port 0 is not 1 to 65535", e.getMessage());
    assertEquals(new HostPort("w", 1), HostPort.parse("w:1", "--workers"));
  }
}
