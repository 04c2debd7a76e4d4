package io.bitnet4j.model;

import java.util.Arrays;
import java.util.List;

/**
 * Continuous batching: one decode step for several sessions in a single pass over the weights. Decoding is
 * bound by memory bandwidth (every weight byte is read once per pass), so N sessions stepping together
 * cost little more than one. Sessions may join and leave between steps: each call names the sessions that
 * take part. Prompts are still evaluated per session with {@link Session#prefill}.
 *
 * <pre>{@code
 * try (BatchDecoder batch = model.newBatchDecoder(8)) {
 *     float[][] logits = batch.step(List.of(a, b, c), new int[] {ta, tb, tc});
 * }
 * }</pre>
 */
public final class BatchDecoder implements AutoCloseable {
    private final Model model;
    private final int capacity;
    private final Forward forward;
    private final StageTimes stageTimes = new StageTimes();
    private final Forward.Segment[] segments;
    private final int[] rows;
    private final float[][] logits;
    private final Session[] locked;
    private final int[] order;
    private boolean closed;

    BatchDecoder(Model model, int capacity) {
        if (capacity < 1 || capacity > 512) throw new IllegalArgumentException("batch capacity must be between 1 and 512, got " + capacity);
        this.model = model;
        this.capacity = capacity;
        this.forward = new Forward(model, capacity, capacity, stageTimes);
        this.segments = new Forward.Segment[capacity];
        for (int i = 0; i < capacity; i++) segments[i] = new Forward.Segment();
        this.rows = new int[capacity];
        for (int i = 0; i < capacity; i++) rows[i] = i;
        this.logits = new float[capacity][model.config().vocabSize()];
        this.locked = new Session[capacity];
        this.order = new int[capacity];
    }

    public int capacity() {
        return capacity;
    }

    /** Where this decoder's steps spent their time, per stage of the forward pass. */
    public StageTimes stageTimes() {
        return stageTimes;
    }

    /**
     * Feeds tokens[i] to sessions.get(i), all in one pass, and returns the logits for each session's next
     * token (row i for session i; the arrays are reused by the next step). Sessions must be distinct, open,
     * of this decoder's model, and have room for one more token; otherwise nothing is evaluated.
     */
    public synchronized float[][] step(List<Session> sessions, int[] tokens) {
        if (closed) throw new IllegalStateException("batch decoder closed");
        int n = sessions.size();
        if (n == 0 || n > capacity) throw new IllegalArgumentException("a step takes 1 to " + capacity + " sessions, got " + n);
        if (tokens.length != n) throw new IllegalArgumentException(n + " sessions but " + tokens.length + " tokens");
        for (int i = 0; i < n; i++) {
            Session s = sessions.get(i);
            if (s.model() != model) throw new IllegalArgumentException("session " + i + " belongs to another model");
            for (int j = 0; j < i; j++) if (sessions.get(j) == s) throw new IllegalArgumentException("session " + i + " appears twice in one step");
        }
        lockAll(sessions, tokens);
        boolean done = false;
        try {
            for (int i = 0; i < n; i++) {
                Session s = sessions.get(i);
                segments[i].set(s.cache, s.attention, s.position(), i, 1);
            }
            model.acquire();
            try {
                forward.run(tokens, 0, n, segments, n, rows, n);
            } finally {
                model.release();
            }
            for (int i = 0; i < n; i++) forward.copyLogits(i, logits[i]);
            done = true;
        } finally {
            unlockAll(n, done);
        }
        return logits;
    }

    /** Locks every session in a fixed global order, so two decoders sharing sessions cannot deadlock. */
    private void lockAll(List<Session> sessions, int[] tokens) {
        int n = sessions.size();
        for (int i = 0; i < n; i++) { // insertion sort of indices by identity hash: n is small, and no garbage
            int j = i;
            while (j > 0 && System.identityHashCode(sessions.get(order[j - 1])) > System.identityHashCode(sessions.get(i))) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        int taken = 0;
        try {
            for (int k = 0; k < n; k++) {
                int i = order[k];
                sessions.get(i).lockForBatch(tokens[i]);
                locked[taken++] = sessions.get(i);
            }
        } catch (RuntimeException e) {
            for (int j = 0; j < taken; j++) locked[j].unlockAfterBatch(false);
            Arrays.fill(locked, null);
            throw e;
        }
    }

    private void unlockAll(int n, boolean advanced) {
        for (int j = 0; j < n; j++) {
            locked[j].unlockAfterBatch(advanced);
            locked[j] = null;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        forward.close();
    }
}
