package io.bitnet4j.generation;

/** A {@link BatchGenerator} refused a request: every session is busy and the waiting queue is full. Retry later. */
public final class QueueFullException extends RuntimeException {
    private final int parallel;
    private final int queued;

    public QueueFullException(int parallel, int queued) {
        super("server busy: all " + parallel + " sessions are generating and " + queued + " requests are waiting; retry later");
        this.parallel = parallel;
        this.queued = queued;
    }

    /** Sessions that generate at once. */
    public int parallel() {
        return parallel;
    }

    /** Requests that were waiting for a session. */
    public int queued() {
        return queued;
    }
}
