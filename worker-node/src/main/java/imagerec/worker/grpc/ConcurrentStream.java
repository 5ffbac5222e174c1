package imagerec.worker.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A bidirectional stream whose requests are worked on concurrently, each answered as soon as its
 * answer is ready (answers carry the request's id, so order does not matter); a failed request is
 * an answer too, and the stream goes on. At most {@code window} requests are worked on at once;
 * more wait in gRPC's flow control. The stream completes once the client has half-closed and every
 * answer is sent; a client's cancel cancels the work in progress.
 *
 * <p>All sends happen under this object's lock, as gRPC requires.
 *
 * @param <Q> request
 * @param <A> answer
 */
final class ConcurrentStream<Q, A> implements StreamObserver<Q> {
  private final ServerCallStreamObserver<A> call;
  private final Function<Q, CompletableFuture<A>> work;
  private final Set<CompletableFuture<A>> outstanding = new HashSet<>();
  private boolean halfClosed;
  private boolean done;

  private ConcurrentStream(ServerCallStreamObserver<A> call, Function<Q, CompletableFuture<A>> work) {
    this.call = call;
    this.work = work;
  }

  /**
   * Serves a stream.
   *
   * @param work starts one request; its future completes with the answer (never exceptionally),
   *     and cancelling it stops the work (see {@link #answering})
   */
  static <Q, A> StreamObserver<Q> open(StreamObserver<A> responses, int window, Function<Q, CompletableFuture<A>> work) {
    ServerCallStreamObserver<A> call = (ServerCallStreamObserver<A>) responses;
    call.disableAutoRequest();
    ConcurrentStream<Q, A> stream = new ConcurrentStream<>(call, work);
    call.setOnCancelHandler(stream::cancelAll);
    call.request(window);
    return stream;
  }

  /**
   * The answer of {@code result} made by {@code answer} (from its value or its failure); cancelling
   * the answer cancels {@code result}.
   */
  static <T, A> CompletableFuture<A> answering(CompletableFuture<T> result, BiFunction<T, Throwable, A> answer) {
    CompletableFuture<A> answered = new CompletableFuture<>();
    answered.whenComplete((a, e) -> {
      if (answered.isCancelled()) {
        result.cancel(false);
      }
    });
    result.whenComplete((value, failure) -> answered.complete(answer.apply(value, failure)));
    return answered;
  }

  @Override
  public void onNext(Q request) {
    CompletableFuture<A> answer = work.apply(request);
    synchronized (this) {
      // before whenComplete below, which removes it; onCompleted cannot run in between, as gRPC
      // delivers a stream's requests one at a time
      outstanding.add(answer);
    }
    answer.whenComplete((a, e) -> {
      synchronized (this) {
        outstanding.remove(answer);
        if (done || a == null) {
          return; // cancelled
        }
        call.onNext(a);
        call.request(1);
        finishIfDone();
      }
    });
  }

  @Override
  public void onError(Throwable t) {
    cancelAll(); // client cancelled or failed: nothing more can be sent
  }

  private void cancelAll() {
    List<CompletableFuture<A>> toCancel;
    synchronized (this) {
      done = true;
      toCancel = List.copyOf(outstanding);
    }
    toCancel.forEach(f -> f.cancel(false));
  }

  @Override
  public void onCompleted() {
    synchronized (this) {
      halfClosed = true;
      finishIfDone();
    }
  }

  private void finishIfDone() {
    if (halfClosed && outstanding.isEmpty() && !done) {
      done = true;
      call.onCompleted();
    }
  }
}
