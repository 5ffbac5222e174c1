package imagerec.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import imagerec.v1.BalancerAdminGrpc;
import imagerec.v1.ListWorkersRequest;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import imagerec.v1.WorkerStatus;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS on every hop and tokens, with real processes and certificates made by bin/make-certs: the
 * client reaches the balancer over TLS with a token; the balancer reaches the workers over mutual
 * TLS with its own token; without the right credentials nothing reaches a worker.
 */
class SecurityTest {
  private static final String CLIENT_TOKEN = "client-secret-3f9a";
  private static final String WORKER_TOKEN = "worker-secret-77c1";
  private static final String ADMIN_TOKEN = "admin-secret-5be0";
  @AutoClose
  private static ProcessCluster cluster;
  private static Path certs;
  private static ByteString image;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ProcessCluster("security");
    certs = cluster.logDir().resolve("certs");
    Process make = new ProcessBuilder(ProcessCluster.ROOT.resolve("bin/make-certs").toString(), certs.toString())
        .redirectErrorStream(true).start();
    String out = new String(make.getInputStream().readAllBytes());
    assertTrue(make.waitFor(60, TimeUnit.SECONDS) && make.exitValue() == 0, out);
    image = ByteString.copyFrom(Files.readAllBytes(ProcessCluster.ROOT.resolve("samples/pullover/0.png")));
    ProcessCluster.start(cluster, 2, Map.of(),
        List.of("--tls-cert", pem("server.pem"), "--tls-key", pem("server.key"), "--tls-client-ca", pem("ca.pem"),
            "--token", WORKER_TOKEN),
        mutualTls(), tls(),
        "--tls-cert", pem("server.pem"), "--tls-key", pem("server.key"), "--token", CLIENT_TOKEN,
        "--admin-token", ADMIN_TOKEN, "--worker-ca", pem("ca.pem"), "--worker-cert", pem("client.pem"), "--worker-key", pem("client.key"),
        "--worker-token", WORKER_TOKEN, "--http-port", "0");
  }

  private static String pem(String name) {
    return certs.resolve(name).toString();
  }

  private static ChannelCredentials tls() throws Exception {
    return TlsChannelCredentials.newBuilder().trustManager(certs.resolve("ca.pem").toFile()).build();
  }

  private static ChannelCredentials mutualTls() throws Exception {
    return TlsChannelCredentials.newBuilder().trustManager(certs.resolve("ca.pem").toFile())
        .keyManager(certs.resolve("client.pem").toFile(), certs.resolve("client.key").toFile()).build();
  }

  private static RecognizerGrpc.RecognizerBlockingStub stub(ManagedChannel channel, String token) {
    RecognizerGrpc.RecognizerBlockingStub stub = RecognizerGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    if (token == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(imagerec.grpc.WireHeaders.AUTHORIZATION, "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void aClientWithTlsAndTheTokenIsServedOverTlsHopsToTheWorkers() throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.balancer().address(), tls()).build();
    try {
      assertEquals("Pullover", stub(channel, CLIENT_TOKEN).recognize(RecognizeRequest.newBuilder().setImage(image).build())
          .getClassifications(0).getLabel());
      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel).check(
          HealthCheckRequest.newBuilder().setService(ProcessCluster.RECOGNIZER).build()).getStatus(),
          "health needs no token");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void withoutTheRightTokenTheCallIsRefusedAndNothingReachesAWorker() throws Exception {
    double before = workerCalls();
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.balancer().address(), tls()).build();
    try {
      for (String token : new String[] {null, "wrong", WORKER_TOKEN}) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> stub(channel, token).recognize(RecognizeRequest.newBuilder().setImage(image).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), String.valueOf(token));
      }
    } finally {
      channel.shutdownNow();
    }
    assertEquals(before, workerCalls(), "no Recognize call reached a worker");
  }

  @Test
  void plaintextOrUncertifiedConnectionsAreRefused() throws Exception {
    ManagedChannel plaintext = Grpc.newChannelBuilder(cluster.balancer().address(), InsecureChannelCredentials.create()).build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub(plaintext, CLIENT_TOKEN).withDeadlineAfter(5, TimeUnit.SECONDS)
              .recognize(RecognizeRequest.newBuilder().setImage(image).build()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    } finally {
      plaintext.shutdownNow();
    }
    ProcessCluster.Node worker = cluster.workers().get(0);
    ManagedChannel noClientCert = Grpc.newChannelBuilder(worker.address(), tls()).build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub(noClientCert, WORKER_TOKEN).withDeadlineAfter(5, TimeUnit.SECONDS)
              .recognize(RecognizeRequest.newBuilder().setImage(image).build()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "a worker requires a client certificate");
    } finally {
      noClientCert.shutdownNow();
    }
    ManagedChannel certified = Grpc.newChannelBuilder(worker.address(), mutualTls()).build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub(certified, CLIENT_TOKEN).recognize(RecognizeRequest.newBuilder().setImage(image).build()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), "the worker has its own token");
      assertEquals("Pullover", stub(certified, WORKER_TOKEN).recognize(RecognizeRequest.newBuilder().setImage(image).build())
          .getClassifications(0).getLabel());
    } finally {
      certified.shutdownNow();
    }
  }

  @Test
  void theHttpPortServesHttpsWithTheSameCertificateAndNeedsTheToken() throws Exception {
    HttpClient http = httpsTrustingTheCa();
    String base = "https://localhost:" + cluster.httpPort();
    URI upload = URI.create(base + "/v1/recognize");
    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(upload)
        .POST(HttpRequest.BodyPublishers.ofByteArray(image.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode(), refused.body());
    HttpResponse<String> served = http.send(HttpRequest.newBuilder(upload).header("Authorization", "Bearer " + CLIENT_TOKEN)
        .POST(HttpRequest.BodyPublishers.ofByteArray(image.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, served.statusCode(), served.body());
    assertTrue(served.body().contains("\"Pullover\""), served.body());

    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode(), "the page itself always loads");
    assertTrue(page.body().contains("<title>imagerec</title>"));
    HttpResponse<String> info = http.send(HttpRequest.newBuilder(URI.create(base + "/api/info")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(info.body().contains("\"token_required\":true"), info.body());
    for (String api : List.of("/api/models", "/api/stats", "/api/workers")) {
      HttpResponse<String> without = http.send(HttpRequest.newBuilder(URI.create(base + api)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(401, without.statusCode(), api + ": " + without.body());
    }
    HttpResponse<String> workers = http.send(HttpRequest.newBuilder(URI.create(base + "/api/workers"))
        .header("Authorization", "Bearer " + CLIENT_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, workers.statusCode(), "the workers need the admin token, not the client's");
    workers = http.send(HttpRequest.newBuilder(URI.create(base + "/api/workers"))
        .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, workers.statusCode(), workers.body());
    assertTrue(workers.body().contains("SERVING"), workers.body());

    URI plain = URI.create("http://127.0.0.1:" + cluster.httpPort() + "/api/info");
    assertThrows(java.io.IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(plain)
        .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()),
        "no plain HTTP on a TLS balancer's HTTP port");
  }

  /** An HTTPS client that trusts the test CA (and checks the host name against the certificate). */
  private static HttpClient httpsTrustingTheCa() throws Exception {
    java.security.KeyStore trusted = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    trusted.load(null, null);
    try (java.io.InputStream in = Files.newInputStream(certs.resolve("ca.pem"))) {
      trusted.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory trust =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).build();
  }

  @Test
  void aWorkerRegistersOverTlsWithTheAdminTokenAndOneWithoutItNeverJoins() throws Exception {
    List<String> serverSide = List.of("--tls-cert", pem("server.pem"), "--tls-key", pem("server.key"),
        "--tls-client-ca", pem("ca.pem"), "--token", WORKER_TOKEN, "--register-with", cluster.adminAddress(),
        "--register-ca", pem("ca.pem"));
    List<String> refused = new ArrayList<>(serverSide);
    refused.addAll(List.of("--register-token", "not-the-admin-token"));
    cluster.startWorker("unregistered", mutualTls(), refused.toArray(String[]::new));
    List<String> accepted = new ArrayList<>(serverSide);
    accepted.addAll(List.of("--register-token", ADMIN_TOKEN));
    ProcessCluster.Node registered = cluster.startWorker("registered", mutualTls(), accepted.toArray(String[]::new));

    ManagedChannel admin = Grpc.newChannelBuilder(cluster.adminAddress(), tls()).build();
    try {
      Metadata headers = new Metadata();
      headers.put(imagerec.grpc.WireHeaders.AUTHORIZATION, "Bearer " + ADMIN_TOKEN);
      BalancerAdminGrpc.BalancerAdminBlockingStub stub = BalancerAdminGrpc.newBlockingStub(admin)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      List<WorkerStatus> workers;
      while ((workers = stub.withDeadlineAfter(5, TimeUnit.SECONDS).listWorkers(ListWorkersRequest.getDefaultInstance())
          .getWorkersList()).stream().noneMatch(w -> w.getSource().equals("registered")
          && w.getState() == WorkerStatus.State.SERVING) && System.nanoTime() < until) {
        Thread.sleep(100);
      }
      List<String> registeredAddresses = workers.stream().filter(w -> w.getSource().equals("registered"))
          .map(WorkerStatus::getAddress).toList();
      assertEquals(1, registeredAddresses.size(), "only the worker with the admin token joined: " + workers);
      assertTrue(registeredAddresses.get(0).endsWith(":" + registered.port()), registeredAddresses.toString());
      assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class,
          () -> BalancerAdminGrpc.newBlockingStub(admin).withDeadlineAfter(5, TimeUnit.SECONDS)
              .listWorkers(ListWorkersRequest.getDefaultInstance())).getStatus().getCode(),
          "the admin services need the admin token");
      assertTrue(Files.readString(cluster.logDir().resolve("unregistered.log")).contains("UNAUTHENTICATED"),
          "the refused worker says why");
    } finally {
      admin.shutdownNow();
      ProcessCluster.stop(cluster.workers().get(cluster.workers().size() - 1));
      ProcessCluster.stop(cluster.workers().get(cluster.workers().size() - 2));
    }
  }

  @Test
  void noTokenAppearsInAnyLog() throws Exception {
    for (String name : List.of("balancer.log", "worker-0.log", "worker-1.log")) {
      String log = Files.readString(cluster.logDir().resolve(name));
      assertFalse(log.contains(CLIENT_TOKEN) || log.contains(WORKER_TOKEN) || log.contains(ADMIN_TOKEN), name);
      assertTrue(log.contains("(hidden)"), name + " logs its configuration with the token hidden");
    }
  }

  /** Recognize calls the workers have answered, from their metrics. */
  private static double workerCalls() throws Exception {
    double sum = 0;
    for (ProcessCluster.Node worker : cluster.workers().subList(0, 2)) { // the two behind the balancer
      String m = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + worker.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String line : m.split("\\n")) {
        if (line.startsWith("grpc_server_processing_duration_seconds_count{method=\"Recognize\"")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return sum;
  }
}
