package io.bitnet4j.model;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One conversation with a model: its KV cache and its position. A session is used by one thread at a time
 * (calls are serialized); many sessions may share one Model. The graph itself is {@link Forward}; several
 * sessions can also take their decode steps together through a {@link BatchDecoder}.
 */
public final class Session implements AutoCloseable {

    /** Receives the logits after the token at {@code index} of an evaluated list. The array is reused. */
    @FunctionalInterface
    public interface LogitsSink {
        void accept(int index, float[] logits);
    }

    private final Model model;
    private final ModelConfig c;
    private final int contextLength, batch;
    private final ReentrantLock lock = new ReentrantLock();
    final KvCache cache;
    final Attention attention;
    private Forward forward; // the pass for this session's own steps, made on first use
    private final StageTimes stageTimes = new StageTimes();
    private final Forward.Segment[] segment = {new Forward.Segment()};
    private final int[] logitRows;
    private final int[] single = new int[1];
    private final float[] logits;
    private int position;
    private boolean closed;

    Session(Model model, int contextLength, int batch, CacheType cacheType) {
        this.model = model;
        this.c = model.config();
        if (contextLength < 1 || contextLength > c.contextLength())
            throw new IllegalArgumentException("context length must be between 1 and the model's " + c.contextLength() + ", got " + contextLength);
        if ((long) contextLength * c.kvDim() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("context length " + contextLength + " is too large for one KV cache array");
        this.contextLength = contextLength;
        this.batch = batch;
        this.cache = new KvCache(c, contextLength, cacheType, model.kvBytes);
        this.attention = new Attention(c, batch, contextLength, model.attentionKernel());
        this.logitRows = new int[batch];
        this.logits = new float[c.vocabSize()];
    }

    /** Where this session's passes spent their time, per stage of the forward pass (reset with {@link StageTimes#reset}). */
    public StageTimes stageTimes() {
        return stageTimes;
    }

    public int position() {
        return position;
    }

    public int contextLength() {
        return contextLength;
    }

    public Model model() {
        return model;
    }

    /**
     * Bytes the KV cache holds now: it grows in blocks of positions as they are first used and keeps them through
     * {@link #reset} and {@link #truncate} (the next positions reuse them); {@link #close} frees them.
     */
    public long cacheBytes() {
        return cache.bytes();
    }

    /** Forgets everything: the next token goes to position 0. */
    public void reset() {
        truncate(0);
    }

    /** Drops positions at and after {@code newPosition} (e.g. to retry from a shared prefix). */
    public void truncate(int newPosition) {
        lock.lock();
        try {
            ensureOpen();
            if (newPosition < 0 || newPosition > position)
                throw new IllegalArgumentException("cannot truncate to " + newPosition + ": session is at position " + position);
            position = newPosition; // the cache keeps its blocks: the positions will be used again without allocating
        } finally {
            lock.unlock();
        }
    }

    /** Feeds tokens (in batches) and returns the logits after the last one. The array is reused by the next call. */
    public float[] prefill(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to evaluate");
        evaluate(tokens, false, null);
        return logits;
    }

    /** Feeds one token and returns the logits for the next. The array is reused by the next call. */
    public float[] decode(int token) {
        lock.lock(); // the one-element array is this session's; the lock keeps a concurrent caller off it
        try {
            single[0] = token;
            return prefill(single);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Feeds tokens in batches and hands the logits after each of them to sink (every position, not only the
     * last): what a perplexity run or a logits dump needs.
     */
    public void evaluateAll(int[] tokens, LogitsSink sink) {
        evaluate(tokens, true, sink);
    }

    private void evaluate(int[] tokens, boolean everyPosition, LogitsSink sink) {
        lock.lock();
        try {
            ensureOpen();
            for (int t : tokens) checkToken(t);
            if ((long) position + tokens.length > contextLength)
                throw new ContextOverflowException(position, tokens.length, contextLength);
            model.acquire();
            try {
                Forward pass = forward(everyPosition);
                for (int off = 0; off < tokens.length; off += batch) {
                    int n = Math.min(batch, tokens.length - off);
                    boolean last = off + n == tokens.length;
                    // logits only where needed: every row, or the last token (the output projection is the largest matrix)
                    int rows = everyPosition ? n : (last ? 1 : 0);
                    for (int i = 0; i < rows; i++) logitRows[i] = everyPosition ? i : n - 1;
                    segment[0].set(cache, attention, position, 0, n);
                    pass.run(tokens, off, n, segment, 1, logitRows, rows);
                    position += n;
                    if (everyPosition)
                        for (int i = 0; i < n; i++) {
                            pass.copyLogits(i, logits);
                            sink.accept(off + i, logits);
                        }
                }
                if (!everyPosition) pass.copyLogits(0, logits);
            } finally {
                model.release();
            }
        } finally {
            lock.unlock();
        }
    }

    /** This session's pass, with room for a row of logits per position when asked (made once). */
    private Forward forward(boolean everyPosition) {
        int rows = everyPosition ? batch : 1;
        if (forward == null || forward.logitRows() < rows) {
            if (forward != null) forward.close();
            forward = new Forward(model, batch, rows, stageTimes);
        }
        return forward;
    }

    private void checkToken(int t) {
        if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
    }

    /** Locks the session for one step of a {@link BatchDecoder}, after checking it is open and has room. */
    void lockForBatch(int token) {
        lock.lock();
        try {
            ensureOpen();
            checkToken(token);
            if (position + 1 > contextLength) throw new ContextOverflowException(position, 1, contextLength);
        } catch (RuntimeException e) {
            lock.unlock();
            throw e;
        }
    }

    /** Ends a batch step: the token is in the cache when the step succeeded. */
    void unlockAfterBatch(boolean advanced) {
        if (advanced) position++;
        lock.unlock();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("session closed");
    }

    /** Frees the buffers; waits for a running step. Later calls throw IllegalStateException. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            if (forward != null) forward.close();
            attention.close();
            cache.release(0); // the model's count of KV bytes drops now, not when the collector runs
        } finally {
            lock.unlock();
        }
    }
}
