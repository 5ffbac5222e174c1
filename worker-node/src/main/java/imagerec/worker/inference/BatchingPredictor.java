package imagerec.worker.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded queue in front of a set of inference threads, each owning one {@link PredictFunction}.
 *
 * <p>Each thread blocks for the first queued item, then takes its share of whatever else is queued,
 * up to {@code maxBatchSize} (waiting at most {@code maxBatchDelay} for more), drops items that were
 * cancelled or whose deadline passed, and runs one batched prediction. Its share leaves the rest of
 * the queue to the threads still waiting for work, so no predictor idles while items wait: two
 * queued items and two idle threads make two batches of one, run side by side, not one batch of two
 * beside an idle thread. Under light load batches are of size one and nothing waits; under heavy
 * load, with every thread busy, batches fill up by themselves.
 *
 * <p>Threading: {@link #submit} may be called from any thread and never blocks; results complete on
 * the inference threads, so callers must not do heavy work in dependent stages.
 */
public final class BatchingPredictor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchingPredictor.class);

  private final String name;
  private final BatchingConfig config;
  private final BlockingQueue<Item> queue;
  private final List<Thread> threads = new ArrayList<>();
  private final LongSupplier nanoClock;
  /** Inference threads blocked waiting for an item: each will take one when it is queued. */
  private final AtomicInteger waiting = new AtomicInteger();
  private volatile boolean closed;

  private record Item(float[] input, long submittedNanos, long deadlineNanos,
                      CompletableFuture<Prediction> result) {}

  /**
   * Starts the inference threads; each creates its predict function and warms it up with
   * {@code warmUp} before this constructor returns.
   *
   * @param warmUp an input run through each predictor at start (null for none)
   */
  public BatchingPredictor(String name, BatchingConfig config, Supplier<PredictFunction> functions,
                           float[] warmUp) throws InterruptedException {
    this(name, config, functions, warmUp, System::nanoTime);
  }

  BatchingPredictor(String name, BatchingConfig config, Supplier<PredictFunction> functions,
                    float[] warmUp, LongSupplier nanoClock) throws InterruptedException {
    this.name = name;
    this.config = config;
    this.nanoClock = nanoClock;
    this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
    CountDownLatch ready = new CountDownLatch(config.instances());
    RuntimeException[] startFailure = new RuntimeException[1];
    for (int i = 0; i < config.instances(); i++) {
      Thread t = new Thread(() -> run(functions, warmUp, ready, startFailure),
          "inference-" + name + "-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    ready.await();
    synchronized (startFailure) {
      if (startFailure[0] != null) {
        close();
        throw startFailure[0];
      }
    }
  }

  /**
   * Queues one input.
   *
   * @param deadlineNanos {@link System#nanoTime()} after which the item is dropped unrun, or
   *     {@link Long#MAX_VALUE} for none
   * @return the prediction; cancelling the future drops the item if it has not started
   * @throws OverloadedException at once when the queue is full
   */
  public CompletableFuture<Prediction> submit(float[] input, long deadlineNanos) {
    if (closed) {
      throw new OverloadedException("model " + name + " is shutting down", Duration.ofSeconds(1));
    }
    Item item = new Item(input, nanoClock.getAsLong(), deadlineNanos, new CompletableFuture<>());
    if (!queue.offer(item)) {
      throw full();
    }
    return item.result;
  }

  /**
   * Refuses at once when the queue is full now, so that a caller about to prepare an input (decode
   * an image) does not spend that work on a request {@link #submit} would refuse: under overload,
   * a refusal then costs next to nothing. The queue may still fill before the submit.
   *
   * @throws OverloadedException when the queue is full
   */
  public void checkRoom() {
    checkRoom(1);
  }

  /** As {@link #checkRoom()}, for a request of {@code n} inputs admitted whole. */
  public void checkRoom(int n) {
    if (queue.remainingCapacity() < n) {
      throw full();
    }
  }

  private OverloadedException full() {
    return new OverloadedException("model " + name + " queue is full (" + config.queueCapacity() + " waiting)",
        Duration.ofMillis(100));
  }

  /** Items the queue can hold. */
  public int capacity() {
    return config.queueCapacity();
  }

  /** Inference threads, each with its own predictor. */
  public int instances() {
    return config.instances();
  }

  /** Inference threads waiting for work now. */
  int waitingThreads() {
    return waiting.get();
  }

  /** Items waiting for an inference thread. */
  public int queueDepth() {
    return queue.size();
  }

  private void run(Supplier<PredictFunction> functions, float[] warmUp, CountDownLatch ready,
                   RuntimeException[] startFailure) {
    PredictFunction function;
    try {
      function = functions.get();
      if (warmUp != null) {
        for (int i = 0; i < 3; i++) {
          function.predict(new float[][] {warmUp});
        }
      }
    } catch (Exception e) {
      synchronized (startFailure) {
        startFailure[0] = new IllegalStateException("model " + name + " failed to start: " + e, e);
      }
      ready.countDown();
      return;
    }
    ready.countDown();
    try (function) {
      List<Item> batch = new ArrayList<>(config.maxBatchSize());
      while (!closed) {
        batch.clear();
        if (!collect(batch)) {
          continue;
        }
        runBatch(function, batch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Fills {@code batch} with live items; false when nothing live was found. */
  private boolean collect(List<Item> batch) throws InterruptedException {
    Item first;
    waiting.incrementAndGet();
    try {
      first = queue.poll(200, TimeUnit.MILLISECONDS);
    } finally {
      waiting.decrementAndGet();
    }
    if (first == null) {
      return false;
    }
    addIfLive(first, batch);
    queue.drainTo(batch, share() - batch.size());
    long delay = config.maxBatchDelay().toNanos();
    if (delay > 0 && batch.size() < config.maxBatchSize()) {
      long until = nanoClock.getAsLong() + delay;
      long left;
      while (batch.size() < config.maxBatchSize() && (left = until - nanoClock.getAsLong()) > 0) {
        Item next = queue.poll(left, TimeUnit.NANOSECONDS);
        if (next == null) {
          break;
        }
        addIfLive(next, batch);
      }
    }
    batch.removeIf(item -> !isLive(item));
    return !batch.isEmpty();
  }

  /**
   * How many items this thread takes, the one it holds included: the queued items divided evenly
   * between it and the threads still waiting (rounded up), at most {@code maxBatchSize}. A thread
   * counts as waiting until its poll has returned with an item, so items it was woken for are not
   * taken from under it.
   */
  private int share() {
    int items = queue.size() + 1;
    int threads = waiting.get() + 1;
    return Math.min(config.maxBatchSize(), (items + threads - 1) / threads);
  }

  private void addIfLive(Item item, List<Item> batch) {
    if (isLive(item)) {
      batch.add(item);
    }
  }

  /** False (and the item completed) when it was cancelled or its deadline passed. */
  private boolean isLive(Item item) {
    if (item.result.isDone()) {
      return false;
    }
    if (item.deadlineNanos != Long.MAX_VALUE && nanoClock.getAsLong() - item.deadlineNanos >= 0) {
      item.result.completeExceptionally(
          new DeadlineExpiredException("deadline passed while queued for model " + name));
      return false;
    }
    return true;
  }

  private void runBatch(PredictFunction function, List<Item> batch) {
    float[][] inputs = new float[batch.size()][];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = batch.get(i).input;
    }
    long start = nanoClock.getAsLong();
    float[][] outputs;
    try {
      outputs = function.predict(inputs);
      if (outputs.length != inputs.length) {
        throw new IllegalStateException("model returned " + outputs.length + " outputs for "
            + inputs.length + " inputs");
      }
    } catch (Exception | Error e) {
      log.error("inference failed for model {} (batch of {})", name, batch.size(), e);
      batch.forEach(item -> item.result.completeExceptionally(e));
      return;
    }
    long inferenceNanos = nanoClock.getAsLong() - start;
    for (int i = 0; i < outputs.length; i++) {
      Item item = batch.get(i);
      item.result.complete(
          new Prediction(outputs[i], batch.size(), start - item.submittedNanos, inferenceNanos));
    }
  }

  /** Stops the threads after their current batch; queued items fail with {@link OverloadedException}. */
  @Override
  public void close() throws InterruptedException {
    closed = true;
    for (Thread t : threads) {
      t.join(10_000);
    }
    Item item;
    while ((item = queue.poll()) != null) {
      item.result.completeExceptionally(
          new OverloadedException("model " + name + " was unloaded", Duration.ofSeconds(1)));
    }
  }
}
