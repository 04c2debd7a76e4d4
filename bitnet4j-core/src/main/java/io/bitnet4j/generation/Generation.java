package io.bitnet4j.generation;

import java.util.concurrent.CompletableFuture;

/**
 * A request running in (or waiting for) a {@link BatchGenerator}: cancel it, or wait for its {@link Completion}.
 * Thread-safe.
 */
public final class Generation {
    private final long id;
    private final CompletableFuture<Completion> completion = new CompletableFuture<>();
    private final CompletableFuture<Completion> view = completion.copy(); // callers completing it change nothing here
    private final Runnable wakeScheduler;
    private volatile boolean cancelled;

    Generation(long id, Runnable wakeScheduler) {
        this.id = id;
        this.wakeScheduler = wakeScheduler;
    }

    /** Sequence number of the request in its generator, from 1. */
    public long id() {
        return id;
    }

    /**
     * Stops the request: its session is freed before the next decode step (a waiting request leaves the queue),
     * and it completes with {@link Generator.StopReason#CANCELLED}. No effect once it has finished.
     */
    public void cancel() {
        cancelled = true;
        wakeScheduler.run();
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /**
     * Completes with the request's {@link Completion} (also after a cancellation), or exceptionally with what
     * {@link GenerationListener#onError} received.
     */
    public CompletableFuture<Completion> completion() {
        return view;
    }

    public boolean isDone() {
        return completion.isDone();
    }

    CompletableFuture<Completion> future() {
        return completion;
    }
}
