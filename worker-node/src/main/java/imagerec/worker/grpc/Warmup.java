package imagerec.worker.grpc;

import com.google.protobuf.ByteString;
import imagerec.security.BearerToken;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizerGrpc;
import imagerec.worker.model.ModelConfig;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;

/**
 * Runs synthetic Recognize calls through a worker's own service before it takes traffic, so that
 * the JVM has compiled the whole request path by the first real call.
 *
 * <p>A freshly started JVM runs that path interpreted and spends a core or more compiling it in its
 * first seconds of load; most of it is gRPC's Netty transport, then decoding, batching and the
 * service itself. A restarted worker is then slower than its peers exactly when it rejoins, and a
 * latency-aware balancer sends it few calls until it catches up (docs/RELIABILITY.md). The calls
 * go over a real Netty transport, to a second server on an ephemeral loopback port that lives only
 * for the warm-up (compiled code is shared by every server in the process; the real port stays
 * NOT_SERVING meanwhile). For every model the images are a PNG at its input size and channel count
 * and a twice as large colour JPEG that has to be resized, so both decoders and both preprocessing
 * paths run; each of {@code concurrency} callers keeps one call in flight, so batches of more than
 * one form as under load. The warm-up's time is spent calling: it starts once the loopback server
 * listens, and every caller sends each image at least once however short the time, so a slow host
 * that takes long to start the server still warms every path.
 */
public final class Warmup {
  /** What a warm-up did: calls answered, calls that failed (the first failure kept), time taken. */
  public record Result(long calls, long failed, Throwable firstFailure, Duration took) {}

  /** One synthetic request: a model's name and an encoded image. */
  record Request(String model, byte[] image) {}

  private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

  private Warmup() {}

  /**
   * Starts {@code recognizer} on a loopback port, calls it for {@code duration} (each caller sending
   * every image at least once), waits for the calls in flight and stops it.
   *
   * @param recognizer the Recognizer service to warm (the caller's own instance, so that its
   *     request metrics do not count these calls)
   * @param token the bearer token {@code recognizer} requires, or null
   * @param models the models to warm, each getting the same share of calls
   * @param concurrency calls kept in flight at once
   */
  public static Result run(ServerServiceDefinition recognizer, String token, List<ModelConfig> models,
                           Duration duration, int concurrency) throws IOException, InterruptedException {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be positive: " + concurrency);
    }
    long start = System.nanoTime();
    if (models.isEmpty() || duration.isZero() || duration.isNegative()) {
      return new Result(0, 0, null, Duration.ZERO);
    }
    List<Request> requests = requests(models);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .directExecutor().addService(recognizer).build().start();
    long calling = System.nanoTime();
    ManagedChannel channel = NettyChannelBuilder.forAddress(InetAddress.getLoopbackAddress().getHostAddress(),
        server.getPort()).usePlaintext().directExecutor().build();
    try {
      RecognizerGrpc.RecognizerBlockingStub stub = RecognizerGrpc.newBlockingStub(channel);
      if (token != null) {
        stub = stub.withCallCredentials(new BearerToken(token));
      }
      return call(stub, requests, start, calling + duration.toNanos(), concurrency);
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Result call(RecognizerGrpc.RecognizerBlockingStub stub, List<Request> requests, long start,
                             long end, int concurrency) throws InterruptedException {
    AtomicLong calls = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      int first = i;
      Thread caller = new Thread(() -> {
        for (long n = first; n < first + requests.size() || System.nanoTime() - end < 0; n++) {
          Request r = requests.get((int) (n % requests.size()));
          try {
            stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .recognize(RecognizeRequest.newBuilder().setModel(r.model())
                    .setImage(ByteString.copyFrom(r.image())).build());
            calls.incrementAndGet();
          } catch (StatusRuntimeException e) {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, e);
            if (failed.get() >= 10 && calls.get() == 0) {
              return; // every call fails: warming is pointless, and the caller logs why
            }
          }
        }
      }, "warmup-" + i);
      caller.setDaemon(true);
      caller.start();
      callers.add(caller);
    }
    for (Thread caller : callers) {
      caller.join();
    }
    return new Result(calls.get(), failed.get(), firstFailure.get(), Duration.ofNanos(System.nanoTime() - start));
  }

  /** Two images per model: a PNG at its input size and channel count, and a twice as large colour JPEG. */
  static List<Request> requests(List<ModelConfig> models) {
    Random random = new Random(42);
    List<Request> out = new ArrayList<>();
    for (ModelConfig m : models) {
      ModelConfig.Input in = m.input();
      int ownType = in.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR;
      out.add(new Request(m.name(), encode(noise(in.width(), in.height(), ownType, random), "png")));
      out.add(new Request(m.name(),
          encode(noise(in.width() * 2, in.height() * 2, BufferedImage.TYPE_3BYTE_BGR, random), "jpg")));
    }
    return out;
  }

  private static BufferedImage noise(int width, int height, int type, Random random) {
    BufferedImage image = new BufferedImage(width, height, type);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    return image;
  }

  private static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
