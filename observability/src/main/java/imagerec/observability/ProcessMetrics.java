package imagerec.observability;

import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The metrics of one server process, in Prometheus form: JVM and process meters (memory, GC,
 * threads, classes, CPU, open files, uptime), gRPC server calls by service, method and status
 * ({@code grpc_server_processing_duration_seconds}, from Micrometer's interceptor), and whatever
 * the process registers on {@link #registry()}.
 *
 * <p>Every timer gets the same fixed latency buckets (from 0.5 ms to 30 s) instead of a client-side
 * percentile, so histograms can be aggregated across processes with {@code histogram_quantile};
 * the process owns its registry (no global registry is used).
 */
public final class ProcessMetrics implements AutoCloseable {
  /** Latency buckets for every timer, in seconds. */
  static final double[] LATENCY_BUCKETS_SECONDS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();

  /**
   * @param process the program, added as the label {@code process} to every series
   *     ({@code worker}, {@code balancer})
   */
  public ProcessMetrics(String process) {
    registry.config()
        .commonTags("process", process)
        .meterFilter(latencyBuckets());
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Counts and times every gRPC call the server answers, by service, method and status code. */
  public ServerInterceptor grpcServerInterceptor() {
    return new MetricCollectingServerInterceptor(registry);
  }

  /** The current values in the Prometheus text format (or OpenMetrics, by {@code contentType}). */
  public String scrape(String contentType) {
    return registry.scrape(contentType);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  private static MeterFilter latencyBuckets() {
    double[] nanos = new double[LATENCY_BUCKETS_SECONDS.length]; // a timer's buckets are in nanoseconds
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = LATENCY_BUCKETS_SECONDS[i] * 1e9;
    }
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || config.getServiceLevelObjectiveBoundaries() != null) {
          return config;
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
      }
    };
  }
}
