package imagerec.worker.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelReadyRequest;
import imagerec.oip.ServerLiveRequest;
import imagerec.oip.ServerMetadataRequest;
import imagerec.oip.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import org.junit.jupiter.api.Test;

/** The stand-in a worker serves while its models load. */
class StartingServiceTest {

  @Test
  void whileLoadingTheProtocolSaysLiveButNotReadyAndRefusesTheRest() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(StartingService.of(GRPCInferenceServiceGrpc.getServiceDescriptor(), "loading",
            InferenceService.WHILE_LOADING))
        .build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
      assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
      assertFalse(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
      assertFalse(stub.modelReady(ModelReadyRequest.newBuilder().setName("fashion-mnist").build()).getReady());
      for (Runnable call : new Runnable[] {
          () -> stub.modelInfer(ModelInferRequest.getDefaultInstance()),
          () -> stub.serverMetadata(ServerMetadataRequest.getDefaultInstance())}) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals("loading", e.getStatus().getDescription());
      }
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
