package imagerec.worker.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchingPredictorTest {
  /** Echoes input[0] * 2; blocks on {@code gate} so tests can fill the queue first. */
  private final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile boolean failNext;
  private BatchingPredictor predictor;

  private PredictFunction fake() {
    return inputs -> {
      started.countDown();
      gate.await();
      batchSizes.add(inputs.length);
      if (failNext) {
        failNext = false;
        throw new IllegalStateException("boom");
      }
      float[][] out = new float[inputs.length][];
      for (int i = 0; i < inputs.length; i++) {
        out[i] = new float[] {inputs[i][0] * 2};
      }
      return out;
    };
  }

  private BatchingPredictor start(int instances, int maxBatch, int queue, Duration delay) throws Exception {
    predictor = new BatchingPredictor("test", new BatchingConfig(instances, maxBatch, delay, queue), this::fake, null);
    return predictor;
  }

  @AfterEach
  void close() throws Exception {
    gate.countDown();
    if (predictor != null) {
      predictor.close();
    }
  }

  @Test
  void queuedItemsAreBatchedUpToMaxBatchSizeAndResultsKeepTheirOrder() throws Exception {
    start(1, 4, 100, Duration.ZERO);
    CompletableFuture<Prediction> first = predictor.submit(new float[] {0}, Long.MAX_VALUE);
    assertTrue(started.await(5, TimeUnit.SECONDS)); // the thread holds item 0 in a batch of one
    List<CompletableFuture<Prediction>> rest = new ArrayList<>();
    for (int i = 1; i <= 9; i++) {
      rest.add(predictor.submit(new float[] {i}, Long.MAX_VALUE));
    }
    gate.countDown();
    assertEquals(0f, first.get(5, TimeUnit.SECONDS).output()[0]);
    for (int i = 1; i <= 9; i++) {
      Prediction p = rest.get(i - 1).get(5, TimeUnit.SECONDS);
      assertEquals(2f * i, p.output()[0], "item " + i + " got another item's result");
    }
    assertEquals(List.of(1, 4, 4, 1), batchSizes);
    assertEquals(4, rest.get(0).get().batchSize());
  }

  @Test
  void idleThreadsShareTheQueueInsteadOfOneTakingItAll() throws Exception {
    start(2, 8, 100, Duration.ZERO);
    waitUntil(() -> predictor.waitingThreads() == 2, "both inference threads waiting for work");
    CompletableFuture<Prediction> a = predictor.submit(new float[] {1}, Long.MAX_VALUE);
    CompletableFuture<Prediction> b = predictor.submit(new float[] {2}, Long.MAX_VALUE);
    gate.countDown();
    assertEquals(2f, a.get(5, TimeUnit.SECONDS).output()[0]);
    assertEquals(4f, b.get(5, TimeUnit.SECONDS).output()[0]);
    assertEquals(List.of(1, 1), batchSizes, "two items, two idle predictors: a batch of one each, side by side");
  }

  private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(5), Duration.ofMillis(5), what);
  }

  @Test
  void batchDelayWaitsForMoreItems() throws Exception {
    gate.countDown();
    start(1, 3, 100, Duration.ofMillis(300));
    CompletableFuture<Prediction> a = predictor.submit(new float[] {1}, Long.MAX_VALUE);
    Thread.sleep(50);
    CompletableFuture<Prediction> b = predictor.submit(new float[] {2}, Long.MAX_VALUE);
    CompletableFuture<Prediction> c = predictor.submit(new float[] {3}, Long.MAX_VALUE);
    assertEquals(3, a.get(5, TimeUnit.SECONDS).batchSize());
    assertEquals(3, c.get(5, TimeUnit.SECONDS).batchSize());
    assertEquals(4f, b.get().output()[0]);
  }

  @Test
  void fullQueueIsRejectedAtOnce() throws Exception {
    start(1, 1, 2, Duration.ZERO);
    predictor.submit(new float[] {0}, Long.MAX_VALUE);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    predictor.submit(new float[] {1}, Long.MAX_VALUE);
    predictor.checkRoom(); // one place left
    predictor.submit(new float[] {2}, Long.MAX_VALUE);
    assertThrows(OverloadedException.class, predictor::checkRoom, "full: refused before any work is done");
    OverloadedException e = assertThrows(OverloadedException.class,
        () -> predictor.submit(new float[] {3}, Long.MAX_VALUE));
    assertTrue(e.getMessage().contains("queue is full"), e.getMessage());
    assertEquals(2, predictor.queueDepth());
  }

  @Test
  void cancelledAndExpiredItemsAreDroppedBeforeInference() throws Exception {
    start(1, 8, 100, Duration.ZERO);
    predictor.submit(new float[] {0}, Long.MAX_VALUE);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    CompletableFuture<Prediction> cancelled = predictor.submit(new float[] {1}, Long.MAX_VALUE);
    CompletableFuture<Prediction> expired = predictor.submit(new float[] {2}, System.nanoTime() - 1);
    CompletableFuture<Prediction> live = predictor.submit(new float[] {3}, Long.MAX_VALUE);
    cancelled.cancel(false);
    gate.countDown();
    assertEquals(6f, live.get(5, TimeUnit.SECONDS).output()[0]);
    ExecutionException e = assertThrows(ExecutionException.class, () -> expired.get(5, TimeUnit.SECONDS));
    assertInstanceOf(DeadlineExpiredException.class, e.getCause());
    assertEquals(List.of(1, 1), batchSizes, "only the first and the live item reach the model");
  }

  @Test
  void aFailedBatchFailsItsItemsAndTheNextBatchStillRuns() throws Exception {
    start(1, 8, 100, Duration.ZERO);
    failNext = true;
    CompletableFuture<Prediction> doomed = predictor.submit(new float[] {1}, Long.MAX_VALUE);
    gate.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, () -> doomed.get(5, TimeUnit.SECONDS));
    assertEquals("boom", e.getCause().getMessage());
    assertEquals(10f, predictor.submit(new float[] {5}, Long.MAX_VALUE).get(5, TimeUnit.SECONDS).output()[0]);
  }

  @Test
  void closeFailsWhatIsStillQueued() throws Exception {
    start(1, 1, 10, Duration.ZERO);
    predictor.submit(new float[] {0}, Long.MAX_VALUE);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    CompletableFuture<Prediction> queued = predictor.submit(new float[] {1}, Long.MAX_VALUE);
    Thread closer = new Thread(() -> {
      try {
        predictor.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    closer.start();
    Thread.sleep(100);
    gate.countDown();
    closer.join(10_000);
    ExecutionException e = assertThrows(ExecutionException.class, () -> queued.get(1, TimeUnit.SECONDS));
    assertInstanceOf(OverloadedException.class, e.getCause());
    assertThrows(OverloadedException.class, () -> predictor.submit(new float[] {2}, Long.MAX_VALUE));
  }
}
