package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.TernaryMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One conversation with a model: its KV cache, its position and the activation buffers of the forward pass.
 * A session is used by one thread at a time (calls are serialized); many sessions may share one Model.
 *
 * <p>The forward pass, top to bottom (spec §3): embedding row → per layer [RMSNorm → Q,K,V BitLinear →
 * RoPE → attention → sub-norm → O BitLinear → residual → RMSNorm → gate,up BitLinear → ReLU²·up → sub-norm →
 * down BitLinear → residual] → RMSNorm → tied F16 output projection.
 */
public final class Session implements AutoCloseable {

    /** Receives the logits after the token at {@code index} of an evaluated list. The array is reused. */
    @FunctionalInterface
    public interface LogitsSink {
        void accept(int index, float[] logits);
    }

    private final Model model;
    private final ModelConfig c;
    private final Kernels kernels;
    private final int contextLength, batch;
    private final Arena arena = Arena.ofShared();
    private final ReentrantLock lock = new ReentrantLock();
    private final KvCache cache;
    private final Attention attention;
    private final MatMul matmul;

    // activations, [batch][width] each
    private final MemorySegment x, xb, q, k, v, att, proj, gate, up, h16;
    /** Logits rows: one unless evaluateAll asked for a row per position (then a batch of them, made once). */
    private MemorySegment logitsRows;
    private final MemorySegment act8, actScale, actSum;
    private final float[] cos, sin, logits;
    private final float thetaScale;
    private int position;
    private boolean closed;

    Session(Model model, int contextLength, int batch) {
        this.model = model;
        this.c = model.config();
        if (contextLength < 1 || contextLength > c.contextLength())
            throw new IllegalArgumentException("context length must be between 1 and the model's " + c.contextLength() + ", got " + contextLength);
        if ((long) contextLength * c.kvDim() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("context length " + contextLength + " is too large for one KV cache array");
        this.kernels = model.kernels();
        this.contextLength = contextLength;
        this.batch = batch;
        this.cache = new KvCache(c, contextLength);
        this.attention = new Attention(c, batch, contextLength);
        this.matmul = new MatMul();
        int d = c.dim(), f = c.ffnDim(), kv = c.kvDim();
        x = floats(batch * d); xb = floats(batch * d); q = floats(batch * d); att = floats(batch * d); proj = floats(batch * d);
        k = floats(batch * kv); v = floats(batch * kv);
        gate = floats(batch * f); up = floats(batch * f);
        h16 = arena.allocate(2L * batch * d, 64);
        logitsRows = floats(c.vocabSize());
        act8 = arena.allocate((long) batch * Math.max(d, f), 64);
        actScale = floats(batch);
        actSum = arena.allocate(4L * batch, 64);
        cos = new float[c.headDim() / 2];
        sin = new float[c.headDim() / 2];
        logits = new float[c.vocabSize()];
        thetaScale = (float) Math.pow(c.ropeBase(), -2.0f / c.headDim());
    }

    private MemorySegment floats(long n) {
        return arena.allocate(4 * n, 64);
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
            position = newPosition;
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
        return prefill(new int[] {token});
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
            for (int t : tokens)
                if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            if ((long) position + tokens.length > contextLength)
                throw new ContextOverflowException(position, tokens.length, contextLength);
            if (everyPosition && logitsRows.byteSize() < 4L * Math.min(batch, tokens.length) * c.vocabSize())
                logitsRows = floats((long) batch * c.vocabSize());
            model.withOpenModel(() -> {
                for (int off = 0; off < tokens.length; off += batch) {
                    int n = Math.min(batch, tokens.length - off);
                    boolean last = off + n == tokens.length;
                    forward(tokens, off, n, everyPosition ? 0 : (last ? n - 1 : n));
                    if (everyPosition) for (int i = 0; i < n; i++) sink.accept(off + i, logitsRow(i));
                }
                if (!everyPosition) logitsRow(0);
                return null;
            });
        } finally {
            lock.unlock();
        }
    }

    /** Copies logits row i of the last forward pass into the shared array. */
    private float[] logitsRow(int i) {
        MemorySegment.copy(logitsRows, JAVA_FLOAT, 4L * i * c.vocabSize(), logits, 0, c.vocabSize());
        return logits;
    }

    /**
     * One forward pass over tokens[off, off+n) at positions position.. position+n-1. Logits are computed for
     * rows [firstLogitRow, n) only (the output projection is the most expensive matrix).
     */
    private void forward(int[] tokens, int off, int n, int firstLogitRow) {
        int d = c.dim(), kvd = c.kvDim(), f = c.ffnDim();
        for (int t = 0; t < n; t++) embed(tokens[off + t], t);

        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer w = model.weights().layers().get(l);
            KvCache.Layer layerCache = cache.layer(l);

            // attention block
            for (int t = 0; t < n; t++) Ops.rmsNorm(xb, (long) t * d, x, (long) t * d, w.attnNorm(), d, c.normEps());
            bitLinear(xb, n, d, w.wq(), q, w.wk(), k, w.wv(), v);
            for (int t = 0; t < n; t++) {
                Ops.ropeAngles(position + t, c.headDim(), thetaScale, cos, sin);
                Ops.rope(q, (long) t * d, c.heads(), c.headDim(), cos, sin);
                Ops.rope(k, (long) t * kvd, c.kvHeads(), c.headDim(), cos, sin);
                layerCache.store(position + t, k, (long) t * kvd, v, (long) t * kvd);
            }
            int pos = position;
            boolean exact = model.options().exactNumerics();
            model.parallel().forRange(c.kvHeads(), 1, (b, e) -> {
                for (int h = b; h < e; h++) {
                    if (exact) attention.runExact(h, layerCache, q, att, pos, n);
                    else attention.run(h, layerCache, q, att, pos, n);
                }
            });
            for (int t = 0; t < n; t++) Ops.rmsNorm(att, (long) t * d, att, (long) t * d, w.attnSubNorm(), d, c.normEps());
            bitLinear(att, n, d, w.wo(), proj, null, null, null, null);
            Ops.addInPlace(x, proj, (long) n * d);

            // feed-forward block
            for (int t = 0; t < n; t++) Ops.rmsNorm(xb, (long) t * d, x, (long) t * d, w.ffnNorm(), d, c.normEps());
            bitLinear(xb, n, d, w.wGate(), gate, w.wUp(), up, null, null);
            Ops.reluSquaredTimes(gate, up, (long) n * f);
            for (int t = 0; t < n; t++) Ops.rmsNorm(gate, (long) t * f, gate, (long) t * f, w.ffnSubNorm(), f, c.normEps());
            bitLinear(gate, n, f, w.wDown(), proj, null, null, null, null);
            Ops.addInPlace(x, proj, (long) n * d);
        }

        position += n;
        outputLogits(n, firstLogitRow);
    }

    /** x[t] = float(token_embd[token]), an exact F16 to F32 conversion. */
    private void embed(int token, int t) {
        MemorySegment table = model.weights().embedding().data();
        long src = (long) token * c.dim(), dst = (long) t * c.dim();
        for (int i = 0; i < c.dim(); i++)
            x.setAtIndex(JAVA_FLOAT, dst + i, Float.float16ToFloat(table.getAtIndex(JAVA_SHORT_UNALIGNED, src + i)));
    }

    /**
     * BitLinear for up to three matrices sharing one input: quantize the input once (I8_S, per token), then
     * one parallel region over the concatenated output rows of all matrices.
     */
    private void bitLinear(MemorySegment input, int n, int width, TernaryMatrix w0, MemorySegment y0,
            TernaryMatrix w1, MemorySegment y1, TernaryMatrix w2, MemorySegment y2) {
        kernels.quantizeI8s(input, width, n, act8, actScale, actSum);
        matmul.set(n, w0, y0, w1, y1, w2, y2);
        model.parallel().forRange(matmul.totalRows(), 8, matmul);
    }

    /** Final RMSNorm, rounding to F16, and the tied output projection for rows [first, n). */
    private void outputLogits(int n, int first) {
        int d = c.dim(), rows = n - first;
        if (rows <= 0) return;
        for (int t = first; t < n; t++) {
            Ops.rmsNorm(xb, (long) t * d, x, (long) t * d, model.weights().outputNorm(), d, c.normEps());
            Ops.toF16(xb, (long) t * d, h16, (long) (t - first) * d, d);
        }
        var table = model.weights().embedding();
        if (model.options().exactNumerics()) model.parallel().forRange(c.vocabSize(), 16, (b, e) -> exactLogits(rows, b, e));
        else model.parallel().forRange(c.vocabSize(), 16, (b, e) -> kernels.f16Gemm(table, h16, rows, logitsRows, c.vocabSize(), b, e));
    }

    /** The output projection with ggml_vec_dot_f16's summation order, rows [b, e) of the vocabulary. */
    private void exactLogits(int rows, int b, int e) {
        int d = c.dim();
        MemorySegment table = model.weights().embedding().data();
        float[] x = new float[rows * d], w = new float[d], acc = new float[32];
        for (int i = 0; i < rows * d; i++) x[i] = Float.float16ToFloat(h16.getAtIndex(JAVA_SHORT_UNALIGNED, i));
        for (int m = b; m < e; m++) {
            for (int i = 0; i < d; i++) w[i] = Float.float16ToFloat(table.getAtIndex(JAVA_SHORT_UNALIGNED, (long) m * d + i));
            for (int t = 0; t < rows; t++) logitsRows.setAtIndex(JAVA_FLOAT, (long) t * c.vocabSize() + m, GgmlOrder.dotF16(w, 0, x, t * d, d, acc));
        }
    }

    /** The row-split GEMM region of {@link #bitLinear}: rows of w0, then w1, then w2, as one range. */
    private final class MatMul implements Parallel.RangeTask {
        private int tokens;
        private final TernaryMatrix[] w = new TernaryMatrix[3];
        private final MemorySegment[] y = new MemorySegment[3];

        void set(int tokens, TernaryMatrix w0, MemorySegment y0, TernaryMatrix w1, MemorySegment y1, TernaryMatrix w2, MemorySegment y2) {
            this.tokens = tokens;
            w[0] = w0; y[0] = y0; w[1] = w1; y[1] = y1; w[2] = w2; y[2] = y2;
        }

        int totalRows() {
            int total = 0;
            for (TernaryMatrix m : w) if (m != null) total += m.rows();
            return total;
        }

        @Override
        public void run(int begin, int end) {
            int base = 0;
            for (int i = 0; i < 3 && w[i] != null; i++) {
                int rows = w[i].rows();
                int b = Math.max(begin - base, 0), e = Math.min(end - base, rows);
                if (b < e) kernels.i2sGemm(w[i], act8, actScale, actSum, tokens, y[i], rows, b, e);
                base += rows;
            }
        }
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
            arena.close();
        } finally {
            lock.unlock();
        }
    }
}
