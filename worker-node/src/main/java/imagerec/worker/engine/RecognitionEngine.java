package imagerec.worker.engine;

import imagerec.security.ByteBudget;
import imagerec.worker.image.ExifOrientation;
import imagerec.worker.image.ImageDecoder;
import imagerec.worker.image.InvalidImageException;
import imagerec.worker.image.Preprocessor;
import imagerec.worker.inference.OverloadedException;
import imagerec.worker.inference.Prediction;
import imagerec.worker.model.ModelConfig;
import imagerec.worker.model.ModelRepository;
import imagerec.worker.model.ServedModel;
import imagerec.worker.model.UnknownModelException;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's request path, free of gRPC: validate, decode and preprocess on the decode pool,
 * queue for batched inference, then turn the model's output into labels or an embedding.
 *
 * <p>Every failure reaches the returned future as one of the project's exceptions
 * ({@link UnknownModelException}, {@link InvalidRequestException}, {@link InvalidImageException},
 * {@link OverloadedException}, ...); the gRPC layer maps them to status codes. Thread-safe.
 */
public final class RecognitionEngine {
  private final ModelRepository models;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor = new Preprocessor();
  private final ExecutorService decodePool;
  private final ByteBudget bytes;

  /**
   * @param decodePool bounded executor for decoding; a rejected task fails the request with
   *     {@link OverloadedException}. Owned by the caller.
   * @param bytes the image bytes held at once; a request that does not fit fails with
   *     {@link OverloadedException}
   */
  public RecognitionEngine(ModelRepository models, ImageDecoder decoder, ExecutorService decodePool,
                           ByteBudget bytes) {
    this.models = models;
    this.decoder = decoder;
    this.decodePool = decodePool;
    this.bytes = bytes;
  }

  /**
   * Recognizes one image.
   *
   * @param deadlineNanos {@link System#nanoTime()} by which the caller stops waiting, or
   *     {@link Long#MAX_VALUE}; requests still queued then are dropped unrun
   * @return the result; cancelling it drops the request if inference has not started
   */
  public CompletableFuture<Recognition> recognize(byte[] image, String modelName, int topK,
                                                  long deadlineNanos) {
    long start = System.nanoTime();
    ServedModel model;
    try {
      model = models.acquire(modelName);
    } catch (UnknownModelException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Recognition> result = new CompletableFuture<>();
    result.whenComplete((r, e) -> model.release()); // the lease ends with the request, however it ends
    int k;
    try {
      k = resolveTopK(model, topK);
    } catch (InvalidRequestException e) {
      result.completeExceptionally(e);
      return result;
    }
    if (!bytes.tryHold(image.length)) {
      result.completeExceptionally(new OverloadedException("worker at its limit of " + bytes.max()
          + " image bytes held (--max-bytes-in-flight)", Duration.ofMillis(100)));
      return result;
    }
    result.whenComplete((r, e) -> bytes.release(image.length));
    try {
      model.checkRoom(); // overloaded: refuse before decoding, at next to no cost
      decodePool.execute(() -> decodeAndSubmit(image, model, k, deadlineNanos, start, result));
    } catch (OverloadedException e) {
      result.completeExceptionally(e);
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new OverloadedException("too many images waiting to be decoded", Duration.ofMillis(100)));
    }
    return result;
  }

  private void decodeAndSubmit(byte[] bytes, ServedModel model, int k, long deadlineNanos,
                               long start, CompletableFuture<Recognition> result) {
    if (result.isDone()) {
      return; // cancelled while waiting for a decode thread
    }
    float[] input;
    long decodeNanos;
    try {
      BufferedImage image = decoder.decode(bytes);
      input = model.input(image, ExifOrientation.of(bytes), preprocessor);
      decodeNanos = System.nanoTime() - start;
    } catch (InvalidImageException | RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    CompletableFuture<Prediction> prediction;
    try {
      prediction = model.submit(input, deadlineNanos);
    } catch (OverloadedException e) {
      result.completeExceptionally(e);
      return;
    }
    // a caller's cancel reaches the queued item, which is then skipped by the batcher
    result.whenComplete((r, e) -> {
      if (result.isCancelled()) {
        prediction.cancel(false);
      }
    });
    prediction.whenComplete((p, e) -> {
      if (e != null) {
        result.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
        return;
      }
      ModelConfig.Output output = model.config().output();
      boolean embedding = model.kind() == ModelConfig.Kind.EMBEDDING;
      result.complete(new Recognition(model.name(), model.version(),
          embedding ? List.of() : TopK.of(p.output(), model.labels(), k, output.activationOrDefault(), output.threshold()),
          embedding ? Embedding.of(p.output(), output.normalizeOrDefault()) : new float[0],
          decodeNanos, p.queueNanos(), p.inferenceNanos(), p.batchSize(), System.nanoTime() - start));
    });
  }

  /**
   * Runs one inference request of encoded images, admitted whole or refused whole: the images
   * are decoded in parallel on the decode pool, then queued together, so they join the dynamic
   * batcher like as many calls and may share batches with other callers' inputs. The first image
   * that fails fails the request, its index (from 0) in the message; the others are cancelled.
   *
   * @param version the version asked for, or "" for whichever is served
   */
  public CompletableFuture<Inference> inferImages(String modelName, String version, List<byte[]> images,
                                                  long deadlineNanos) {
    long total = 0;
    for (byte[] image : images) {
      total += image.length;
    }
    return infer(modelName, version, images.size(), total, deadlineNanos, (model, inputs, done) -> {
      AtomicInteger left = new AtomicInteger(images.size());
      for (int i = 0; i < images.size(); i++) {
        int index = i;
        decodePool.execute(() -> {
          if (done.isDone()) {
            return; // failed or cancelled meanwhile
          }
          try {
            byte[] bytes = images.get(index);
            inputs[index] = model.input(decoder.decode(bytes), ExifOrientation.of(bytes), preprocessor);
          } catch (InvalidImageException e) {
            done.completeExceptionally(new InvalidImageException(
                "image " + index + " of " + images.size() + ": " + e.getMessage()));
            return;
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
            return;
          }
          if (left.decrementAndGet() == 0) {
            done.complete(null);
          }
        });
      }
    });
  }

  /**
   * Runs one inference request of inputs already preprocessed (each the model's input size, in
   * its layout), admitted whole or refused whole; see {@link #inferImages}.
   */
  public CompletableFuture<Inference> inferTensors(String modelName, String version, List<float[]> tensors,
                                                   long deadlineNanos) {
    return infer(modelName, version, tensors.size(), 4L * tensors.size(), deadlineNanos, (model, inputs, done) -> {
      for (int i = 0; i < inputs.length; i++) {
        if (tensors.get(i).length != model.inputSize()) {
          done.completeExceptionally(new InvalidRequestException("input " + i + " has " + tensors.get(i).length
              + " values; model " + model.name() + " takes " + model.inputSize()));
          return;
        }
        inputs[i] = tensors.get(i);
      }
      done.complete(null);
    });
  }

  /** Fills {@code inputs} for {@code model}, then completes {@code done} (or fails it). */
  @FunctionalInterface
  private interface InputPreparation {
    void prepare(ServedModel model, float[][] inputs, CompletableFuture<Void> done);
  }

  private CompletableFuture<Inference> infer(String modelName, String version, int n, long heldBytes,
                                             long deadlineNanos, InputPreparation preparation) {
    ServedModel model;
    try {
      model = models.acquire(modelName);
    } catch (UnknownModelException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Inference> result = new CompletableFuture<>();
    result.whenComplete((r, e) -> model.release());
    try {
      model.requireVersion(version); // again: a reload may have replaced the model the caller looked up
    } catch (UnknownModelException e) {
      result.completeExceptionally(e);
      return result;
    }
    if (n == 0) {
      result.completeExceptionally(new InvalidRequestException("the request has no inputs (batch of 0)"));
      return result;
    }
    if (!bytes.tryHold(heldBytes)) {
      result.completeExceptionally(new OverloadedException("worker at its limit of " + bytes.max()
          + " image bytes held (--max-bytes-in-flight)", Duration.ofMillis(100)));
      return result;
    }
    result.whenComplete((r, e) -> bytes.release(heldBytes));
    float[][] inputs = new float[n][];
    CompletableFuture<Void> prepared = new CompletableFuture<>();
    result.whenComplete((r, e) -> prepared.cancel(false)); // a cancelled request stops decoding
    prepared.whenComplete((v, e) -> {
      if (e != null) {
        result.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
      } else if (!result.isDone()) {
        submitAll(model, inputs, deadlineNanos, result);
      }
    });
    try {
      model.checkRoom(n); // a request that cannot fit is refused before anything is decoded
      preparation.prepare(model, inputs, prepared);
    } catch (OverloadedException e) {
      prepared.completeExceptionally(e);
    } catch (RejectedExecutionException e) {
      prepared.completeExceptionally(
          new OverloadedException("too many images waiting to be decoded", Duration.ofMillis(100)));
    }
    return result;
  }

  /** Queues every input at once; a refusal of any cancels those already queued. */
  private static void submitAll(ServedModel model, float[][] inputs, long deadlineNanos,
                                CompletableFuture<Inference> result) {
    List<CompletableFuture<Prediction>> predictions = new ArrayList<>(inputs.length);
    try {
      for (float[] input : inputs) {
        predictions.add(model.submit(input, deadlineNanos));
      }
    } catch (OverloadedException e) {
      predictions.forEach(p -> p.cancel(false));
      result.completeExceptionally(e);
      return;
    }
    result.whenComplete((r, e) -> {
      if (result.isCancelled() || e != null) {
        predictions.forEach(p -> p.cancel(false));
      }
    });
    CompletableFuture.allOf(predictions.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
      if (e != null) {
        result.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
        return;
      }
      ModelConfig.Output output = model.config().output();
      boolean embedding = model.kind() == ModelConfig.Kind.EMBEDDING;
      List<float[]> outputs = new ArrayList<>(inputs.length);
      for (CompletableFuture<Prediction> p : predictions) {
        float[] raw = p.join().output();
        outputs.add(embedding ? Embedding.of(raw, output.normalizeOrDefault())
            : TopK.activated(raw, output.activationOrDefault()));
      }
      result.complete(new Inference(model.name(), model.version(), model.kind(),
          embedding ? List.of() : model.labels(), model.outputSize(), outputs));
    });
  }

  private static int resolveTopK(ServedModel model, int topK) throws InvalidRequestException {
    if (model.kind() == ModelConfig.Kind.EMBEDDING) {
      if (topK != 0) {
        throw new InvalidRequestException("top_k does not apply to " + model.name()
            + ", an embedding model (it returns a vector, not labels); send 0");
      }
      return 0;
    }
    int labels = model.labels().size();
    if (topK < 0 || topK > labels) {
      throw new InvalidRequestException("top_k must be between 1 and " + labels + " for model "
          + model.name() + " (0 = its default, " + model.defaultTopK() + "); got " + topK);
    }
    return topK == 0 ? model.defaultTopK() : topK;
  }
}
