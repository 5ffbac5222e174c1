package imagerec.worker.inference;

import java.util.concurrent.TimeUnit;

/**
 * A {@link PredictFunction} made slower by an {@link InferencePace}: after each batch the
 * inference thread waits out the difference, holding the thread as a slower model would. For
 * the real-process tests and benchmarks that need a heavier model or a slower machine than they
 * have; never in production.
 */
record PacedFunction(PredictFunction model, InferencePace pace) implements PredictFunction {
  @Override
  public float[][] predict(float[][] inputs) throws Exception {
    long start = System.nanoTime();
    float[][] outputs = model.predict(inputs);
    long rest = pace.extraNanos(System.nanoTime() - start);
    if (rest > 0) {
      TimeUnit.NANOSECONDS.sleep(rest);
    }
    return outputs;
  }

  @Override
  public void close() {
    model.close();
  }
}
