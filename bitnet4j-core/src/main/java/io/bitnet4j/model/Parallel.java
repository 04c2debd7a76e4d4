package io.bitnet4j.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for splitting one operation by output rows.
 *
 * <p>{@link #forEachSlice} hands each of the n threads (the caller is thread 0) one slice index and returns
 * when all are done. Workers spin briefly before parking, because a decode step issues ~150 operations of
 * 10-1000 µs each, and waking a parked thread costs tens of µs. Operations are serialized: one region runs
 * at a time, so sessions on different threads may share a model safely.
 */
public final class Parallel implements AutoCloseable {

    /** One slice of work: called with the slice index in [0, slices). */
    @FunctionalInterface
    public interface SliceTask {
        void run(int slice, int slices);
    }

    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile SliceTask task;
    private volatile boolean closed;
    private volatile Throwable failure;

    public Parallel(int threads) {
        if (threads < 1 || threads > 1024)
            throw new IllegalArgumentException("thread count must be between 1 and 1024, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            int slice = i;
            Thread t = Thread.ofPlatform().daemon().name("bitnet4j-worker-" + i).unstarted(() -> workLoop(slice));
            workers[i - 1] = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs task(slice, threads) for every slice, the caller doing slice 0; rethrows a worker's failure. */
    public synchronized void forEachSlice(SliceTask task) {
        if (closed) throw new IllegalStateException("thread pool closed");
        if (threads == 1) {
            task.run(0, 1);
            return;
        }
        this.failure = null;
        this.task = task;
        pending.set(threads - 1);
        generation++; // publishes task (volatile write after the task write)
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            task.run(0, threads);
        } finally {
            waitForWorkers();
            this.task = null;
        }
        Throwable f = failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    /**
     * Splits [0, total) into {@code threads} contiguous ranges whose bounds are multiples of {@code align}
     * (except the end), and runs body(begin, end) on each non-empty one. Allocation-free: the slicing task is
     * reused (regions run one at a time).
     */
    public synchronized void forRange(int total, int align, RangeTask body) {
        ranges.set(total, align, body);
        try {
            forEachSlice(ranges);
        } finally {
            ranges.set(0, 1, null);
        }
    }

    private final RangeSlices ranges = new RangeSlices();

    /** The slicing of one forRange call. */
    private static final class RangeSlices implements SliceTask {
        private int total, align;
        private RangeTask body;

        void set(int total, int align, RangeTask body) {
            this.total = total;
            this.align = align;
            this.body = body;
        }

        @Override
        public void run(int slice, int slices) {
            int begin = bound(total, align, slice, slices), end = bound(total, align, slice + 1, slices);
            if (begin < end) body.run(begin, end);
        }
    }

    @FunctionalInterface
    public interface RangeTask {
        void run(int begin, int end);
    }

    static int bound(int total, int align, int slice, int slices) {
        long b = (long) total * slice / slices;
        b = (b + align - 1) / align * align;
        return (int) Math.min(b, total);
    }

    private void waitForWorkers() {
        long start = System.nanoTime();
        while (pending.get() != 0) {
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    private void workLoop(int slice) {
        long seen = 0;
        while (true) {
            long start = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            try {
                task.run(slice, threads);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** Stops the workers; waits for a running operation to finish first. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
