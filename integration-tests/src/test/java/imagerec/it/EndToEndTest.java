package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.testing.Collector;
import imagerec.testing.StreamCollector;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import imagerec.v1.RecognizerGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Three real worker processes and a real balancer process, called over loopback gRPC. */
class EndToEndTest {
  @AutoClose
  private static ProcessCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.start("end-to-end", 3);
  }

  /** The bundled samples: samples/<label folder>/<n>.png. */
  static List<Path> samples() throws Exception {
    try (Stream<Path> files = Files.walk(ProcessCluster.ROOT.resolve("samples"))) {
      return files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    }
  }

  static String folderOf(String label) {
    return label.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
  }

  private static RecognizeResponse recognize(byte[] image) {
    return cluster.recognizer().withDeadlineAfter(30, TimeUnit.SECONDS)
        .recognize(RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(image)).build());
  }

  @Test
  void everySampleIsRecognizedWithItsTrueLabel() throws Exception {
    List<Path> samples = samples();
    assertTrue(samples.size() >= 30, "expected the bundled samples, found " + samples.size());
    Set<String> workersSeen = new HashSet<>();
    for (Path sample : samples) {
      RecognizeResponse r = recognize(Files.readAllBytes(sample));
      String expected = sample.getParent().getFileName().toString();
      assertEquals(expected, folderOf(r.getClassifications(0).getLabel()), sample.toString());
      assertEquals("fashion-mnist", r.getModel());
      workersSeen.add(r.getWorker());
    }
    assertEquals(Set.of("worker-0", "worker-1", "worker-2"), workersSeen);
  }

  @Test
  void corruptImageGetsInvalidArgumentAndTheNextRequestSucceeds() throws Exception {
    byte[] good = Files.readAllBytes(samples().get(0));
    byte[] corrupt = good.clone();
    for (int i = 40; i < corrupt.length; i++) {
      corrupt[i] = (byte) (corrupt[i] ^ 0x5a);
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recognize(corrupt));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("corrupt"), e.getStatus().getDescription());
    StatusRuntimeException notImage = assertThrows(StatusRuntimeException.class,
        () -> recognize("GIF89a? no".getBytes()));
    assertEquals(Status.Code.INVALID_ARGUMENT, notImage.getStatus().getCode());
    assertFalse(recognize(good).getClassificationsList().isEmpty());
  }

  @Test
  void unknownModelIsNotFound() throws Exception {
    byte[] good = Files.readAllBytes(samples().get(0));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cluster.recognizer().withDeadlineAfter(30, TimeUnit.SECONDS)
        .recognize(RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(good)).setModel("no-such-model").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
  }

  @Test
  void aStreamOfManyImagesGetsOneResultPerImage() throws Exception {
    List<Path> samples = samples();
    int n = 400;
    StreamCollector responses = new StreamCollector();
    StreamObserver<RecognizeRequest> requests = RecognizerGrpc.newStub(cluster.channel())
        .withDeadlineAfter(120, TimeUnit.SECONDS).recognizeStream(responses);
    List<byte[]> images = new ArrayList<>();
    for (Path p : samples) {
      images.add(Files.readAllBytes(p));
    }
    for (int i = 0; i < n; i++) {
      requests.onNext(RecognizeRequest.newBuilder().setRequestId("img-" + i)
          .setImage(ByteString.copyFrom(images.get(i % images.size()))).build());
    }
    requests.onCompleted();
    assertTrue(responses.await(Duration.ofSeconds(120)), "stream did not finish");
    assertNull(responses.failure());
    assertEquals(0, responses.duplicates(), "an image answered twice");
    Map<String, RecognizeResponse> results = responses.byRequestId();
    assertEquals(n, results.size());
    Set<String> workers = new HashSet<>();
    for (int i = 0; i < n; i++) {
      RecognizeResponse r = results.get("img-" + i);
      String expected = samples.get(i % samples.size()).getParent().getFileName().toString();
      assertEquals(expected, folderOf(r.getClassifications(0).getLabel()), "img-" + i);
      workers.add(r.getWorker());
    }
    assertEquals(3, workers.size(), "items of one stream should spread over the workers");
  }

  @Test
  void balancerServesReflectionForGrpcurl() throws Exception {
    Collector<ServerReflectionResponse> answers = new Collector<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(cluster.channel()).serverReflectionInfo(answers);
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    assertTrue(answers.await(Duration.ofSeconds(10)));
    List<String> services = answers.messages().stream()
        .flatMap(r -> r.getListServicesResponse().getServiceList().stream()).map(ServiceResponse::getName).toList();
    assertTrue(services.containsAll(List.of("imagerec.v1.Recognizer", "grpc.health.v1.Health")), services.toString());
  }
}
