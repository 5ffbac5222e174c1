package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.grpc.ByteMarshaller;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every hostile or broken input gets its documented status through the balancer, the worker stays
 * up, and a good request right after each one succeeds.
 */
class HostileInputTest {

  @Test
  void everyHostileInputGetsItsStatusAndTheNextGoodRequestSucceeds() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start("hostile", 1)) {
      ManagedChannel channel = cluster.channelToBalancer();
      try {
        RecognizerGrpc.RecognizerBlockingStub stub = RecognizerGrpc.newBlockingStub(channel);
        ByteString good = ByteString.copyFrom(Files.readAllBytes(EndToEndTest.samples().get(0)));
        List<String> wrong = new ArrayList<>();
        List<HostileCorpus.Case> cases = new ArrayList<>(HostileCorpus.cases());
        cases.add(new HostileCorpus.Case("message over the 16 MiB limit", new byte[17 << 20], Status.Code.RESOURCE_EXHAUSTED));
        java.util.Map<Status.Code, Long> statuses = new java.util.EnumMap<>(Status.Code.class);
        for (HostileCorpus.Case c : cases) {
          Status.Code got = call(stub, RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(c.image())).build());
          statuses.merge(got, 1L, Long::sum);
          if (got != c.expected()) {
            wrong.add(c.name() + ": expected " + c.expected() + ", got " + got);
          }
          assertEquals(Status.Code.OK, call(stub, RecognizeRequest.newBuilder().setImage(good).build()),
              "a good request right after '" + c.name() + "'");
        }
        assertEquals(Status.Code.NOT_FOUND, call(stub, RecognizeRequest.newBuilder().setImage(good).setModel("nope").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, call(stub, RecognizeRequest.newBuilder().setImage(good).setTopK(1000).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, call(stub, RecognizeRequest.newBuilder().setImage(good).setTopK(-5).build()));
        StatusRuntimeException malformed = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(channel,
                ByteMarshaller.bytes(RecognizerGrpc.getRecognizeMethod(), MethodType.UNARY),
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] {(byte) 0xff, 0x7f, 0x01}));
        assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode(), "malformed protobuf");
        long ok = statuses.getOrDefault(Status.Code.OK, 0L);
        statuses.remove(Status.Code.OK);
        Figures.report("hostile corpus", cases.size() + " hostile inputs, each followed by a good request",
            "-", cases.size(), ok, statuses, 0, wrong.isEmpty() ? "every case got its documented status; "
                + "the good request after each succeeded" : wrong.size() + " cases got another status");
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertTrue(cluster.workers().get(0).process().isAlive(), "the worker survived the corpus");
        assertEquals(Status.Code.OK, call(stub, RecognizeRequest.newBuilder().setImage(good).build()));
        assertFalse(Files.readString(cluster.logDir().resolve("worker-0.log")).contains("OutOfMemoryError"));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static Status.Code call(RecognizerGrpc.RecognizerBlockingStub stub, RecognizeRequest request) {
    try {
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).recognize(request);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
