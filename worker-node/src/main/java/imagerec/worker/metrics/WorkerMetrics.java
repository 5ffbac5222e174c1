package imagerec.worker.metrics;

import imagerec.worker.engine.Recognition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * The worker's own meters (see docs/OPERATIONS.md for the list):
 * <ul>
 *   <li>{@code imagerec_worker_recognitions_total{model,status}}: images answered, by gRPC status;
 *   <li>{@code imagerec_worker_recognition_duration_seconds{model,stage}}: per image, the time spent
 *       in {@code decode} (and preprocessing), {@code queue} (waiting for an inference thread),
 *       {@code inference} (its batch in the model) and {@code total};
 *   <li>{@code imagerec_worker_batch_size{model}}: the size of the batch each image ran in;
 *   <li>{@code imagerec_worker_queue_depth{model}} and {@code imagerec_worker_queue_capacity{model}};
 *   <li>{@code imagerec_worker_in_flight}: calls in progress.
 * </ul>
 * A failed request is counted under its model when that model is loaded, else under
 * {@code model="unknown"}, so arbitrary model names sent by clients cannot multiply the series.
 * Thread-safe; meters are made once per model and status and then reused.
 */
public final class WorkerMetrics {
  static final String UNKNOWN_MODEL = "unknown";
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, ModelMeters> perModel = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> failures = new ConcurrentHashMap<>();
  private volatile Set<String> loaded = Set.of();

  public WorkerMetrics(MeterRegistry registry, IntSupplier inFlight) {
    this.registry = registry;
    Gauge.builder("imagerec.worker.in.flight", inFlight::getAsInt)
        .description("calls in progress on this worker").register(registry);
  }

  /**
   * Declares the models now loaded, with functions giving a model's queue depth and capacity by
   * name; called at start and after every repository refresh.
   */
  public synchronized void modelsLoaded(Collection<String> names, ToIntFunction<String> queueDepth,
                                        ToIntFunction<String> queueCapacity) {
    loaded = Set.copyOf(names);
    for (String name : names) {
      perModel.computeIfAbsent(name, n -> {
        Gauge.builder("imagerec.worker.queue.depth", () -> loaded.contains(n) ? queueDepth.applyAsInt(n) : 0)
            .description("images waiting for inference").tag("model", n).register(registry);
        Gauge.builder("imagerec.worker.queue.capacity", () -> loaded.contains(n) ? queueCapacity.applyAsInt(n) : 0)
            .description("images that may wait before requests are shed").tag("model", n).register(registry);
        return new ModelMeters(n);
      });
    }
  }

  /** Records an image answered. */
  public void recognized(Recognition r) {
    ModelMeters m = perModel.computeIfAbsent(r.model(), ModelMeters::new);
    m.ok.increment();
    m.decode.record(r.decodeNanos(), TimeUnit.NANOSECONDS);
    m.queue.record(r.queueNanos(), TimeUnit.NANOSECONDS);
    m.inference.record(r.inferenceNanos(), TimeUnit.NANOSECONDS);
    m.total.record(r.totalNanos(), TimeUnit.NANOSECONDS);
    m.batch.record(r.batchSize());
  }

  /**
   * Records an Open Inference Protocol request of {@code images} images answered, and its time as
   * each image's (stage timings are per image and not reported by that protocol).
   */
  public void inferred(String model, int images, long totalNanos) {
    ModelMeters m = perModel.computeIfAbsent(model, ModelMeters::new);
    m.ok.increment(images);
    m.total.record(totalNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Records a request that failed.
   *
   * @param model the model it asked for as resolved ("" is the default model)
   * @param status the gRPC status code it got, as its name
   */
  public void failed(String model, String status) {
    String tag = model != null && loaded.contains(model) ? model : UNKNOWN_MODEL;
    failures.computeIfAbsent(tag + '\0' + status, k -> Counter.builder("imagerec.worker.recognitions")
        .description("images answered, by status").tag("model", tag).tag("status", status)
        .register(registry)).increment();
  }

  private final class ModelMeters {
    final Counter ok;
    final Timer decode;
    final Timer queue;
    final Timer inference;
    final Timer total;
    final DistributionSummary batch;

    ModelMeters(String model) {
      ok = Counter.builder("imagerec.worker.recognitions").description("images answered, by status")
          .tag("model", model).tag("status", "OK").register(registry);
      decode = stage(model, "decode");
      queue = stage(model, "queue");
      inference = stage(model, "inference");
      total = stage(model, "total");
      batch = DistributionSummary.builder("imagerec.worker.batch.size")
          .description("size of the batch each image ran in").tag("model", model)
          .serviceLevelObjectives(BATCH_BUCKETS).register(registry);
    }

    private Timer stage(String model, String stage) {
      return Timer.builder("imagerec.worker.recognition.duration")
          .description("time per image in each stage").tag("model", model).tag("stage", stage)
          .register(registry);
    }
  }
}
