package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.bitnet4j.kernels.F16Matrix;
import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.TernaryWeights;
import java.lang.foreign.Arena;
import io.bitnet4j.model.StageTimes.Stage;
import java.lang.foreign.MemorySegment;

/**
 * The forward pass of a BitNet model over a batch of up to {@code capacity} tokens, top to bottom (spec §3):
 * embedding row → per layer [RMSNorm → Q,K,V BitLinear → RoPE → attention → (sub-norm) → O BitLinear →
 * residual → RMSNorm → gate,up BitLinear → activation(gate)·up → (sub-norm) → down BitLinear → residual] →
 * RMSNorm → F16 output projection. Where the architectures differ (sub-norms, activation, RoPE pairs, tied or
 * separate output, projection scales) it reads the traits of {@link Architecture} and the tensors of
 * {@link Weights}: one layer loop for all of them.
 *
 * <p>The batch is cut into {@link Segment}s: consecutive tokens of one KV cache at consecutive positions.
 * One segment is a session's prompt; N one-token segments are N sessions decoding together, which turns
 * N matrix-vector products into one matrix-matrix product over the same weight bytes.
 */
final class Forward implements AutoCloseable {

    /** Tokens [offset, offset + count) of the batch belong to this cache, at positions position.. */
    static final class Segment {
        KvCache cache;
        Attention attention;
        int position, offset, count;

        Segment set(KvCache cache, Attention attention, int position, int offset, int count) {
            this.cache = cache;
            this.attention = attention;
            this.position = position;
            this.offset = offset;
            this.count = count;
            return this;
        }
    }

    /**
     * Logits recomputed from the F16 rows after a quantized output projection: the best candidates of the int8
     * or 4-bit ranking pass. The greedy token (and every token a top-k sampler keeps) then has its F16 logit; a
     * flip would need the F16 winner to rank below 64th in the quantized pass. 64 rows cost ~0.3 MB of reads.
     */
    static final int RESCORED = 64;

    private final Model model;
    private final ModelConfig c;
    private final Kernels kernels;
    private final int capacity;
    private final long kvBytesPerLayerPosition;
    private final Arena arena = Arena.ofShared();
    private final MatMul matmul = new MatMul();
    private final AttentionTask attentionTask = new AttentionTask();
    private final TokenStep tokenStep = new TokenStep();
    private final LogitsTask logitsTask = new LogitsTask();

    // activations, [capacity][width] each
    private final MemorySegment x, xb, q, k, v, att, proj, gate, up, h16, logits, embeddingRow;
    private final MemorySegment act8, actScale, actSum;
    private final float[] cos, sin;
    private final float thetaScale;
    private final Architecture arch;
    // rescoring after a quantized output projection: candidate ids, their F16 rows, their exact logits
    private final int rescored;
    private final int[] candidates;
    private final float[] candidateValues;
    private final F16Matrix candidateRows;
    private final MemorySegment candidateLogits;
    private final MemorySegment[] h16Rows;
    // where the time goes: the running stage began at mark
    private final StageTimes times;
    private long mark;

    Forward(Model model, int capacity, int logitRows, StageTimes times) {
        this.model = model;
        this.times = times;
        this.c = model.config();
        this.kernels = model.kernels();
        this.capacity = capacity;
        this.kvBytesPerLayerPosition = model.kvBytesPerPosition() / c.layers();
        int d = c.dim(), f = c.ffnDim(), kv = c.kvDim();
        x = floats(capacity * d); xb = floats(capacity * d); q = floats(capacity * d); att = floats(capacity * d);
        proj = floats(capacity * d);
        k = floats(capacity * kv); v = floats(capacity * kv);
        gate = floats((long) capacity * f); up = floats((long) capacity * f);
        h16 = arena.allocate(2L * capacity * d, 64);
        embeddingRow = arena.allocate(2L * d, 64);
        logits = floats((long) logitRows * c.vocabSize());
        act8 = arena.allocate((long) capacity * Math.max(d, f), 64);
        actScale = floats(capacity);
        actSum = arena.allocate(4L * capacity, 64);
        cos = new float[c.headDim() / 2];
        sin = new float[c.headDim() / 2];
        thetaScale = (float) Math.pow(c.ropeBase(), -2.0f / c.headDim());
        arch = c.arch();
        // the rescoring buffers only where a quantized projection needs them (~0.3 MB at 2B4T size per pass)
        boolean quantized = model.outputI8() != null || model.outputQ4() != null;
        rescored = quantized ? Math.min(RESCORED, c.vocabSize()) : 0;
        candidates = new int[rescored];
        candidateValues = new float[rescored];
        candidateRows = quantized ? new F16Matrix(arena.allocate(2L * rescored * d, 64), rescored, d) : null;
        candidateLogits = floats(rescored);
        h16Rows = new MemorySegment[quantized ? capacity : 0];
        for (int i = 0; i < h16Rows.length; i++) h16Rows[i] = h16.asSlice(2L * i * d, 2L * d);
    }

    private MemorySegment floats(long n) {
        return arena.allocate(4 * n, 64);
    }

    int capacity() {
        return capacity;
    }

    /** Rows of logits this pass can hold. */
    int logitRows() {
        return (int) (logits.byteSize() / 4 / c.vocabSize());
    }

    /** Logits row i of the last pass (row 0 = the first token that got logits) into dst. */
    void copyLogits(int row, float[] dst) {
        MemorySegment.copy(logits, JAVA_FLOAT, 4L * row * c.vocabSize(), dst, 0, c.vocabSize());
    }

    /**
     * Runs n tokens (tokens[tokenOffset + i], i &lt; n) through the model; their K and V are stored in the
     * segments' caches. Logits are computed for the batch rows listed in logitRows (ascending), at most
     * {@link #logitRows()} of them, into rows 0.. of the logits buffer.
     */
    void run(int[] tokens, int tokenOffset, int n, Segment[] segments, int segmentCount, int[] logitRowsOf, int logitCount) {
        if (n > capacity || logitCount > logitRows()) throw new IllegalStateException("batch exceeds the pass's buffers");
        int d = c.dim(), kvd = c.kvDim(), f = c.ffnDim();
        mark = System.nanoTime();
        for (int t = 0; t < n; t++) embed(tokens[tokenOffset + t], t);
        lap(Stage.EMBEDDING);

        float[] ropeFactors = model.weights().ropeFactors();
        boolean exact = model.options().numerics() == Numerics.EXACT;
        long cacheBytes = cacheBytesRead(segments, segmentCount); // the same for every layer
        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer w = model.weights().layers().get(l);

            // attention block
            tokenStep.run(Step.ATTENTION_NORM, w, n);
            lap(Stage.NORMS);
            bitLinear(Stage.QKV, xb, n, d, w.wq(), q, w.wk(), k, w.wv(), v);
            tokenStep.run(Step.QKV_SCALES, w, n);
            lap(Stage.NORMS);
            for (int s = 0; s < segmentCount; s++) {
                Segment seg = segments[s];
                for (int i = 0; i < seg.count; i++) {
                    int t = seg.offset + i;
                    Ops.ropeAngles(seg.position + i, c.headDim(), thetaScale, c.ropeFreqScale(), ropeFactors, exact, cos, sin);
                    Ops.rope(q, (long) t * d, c.heads(), c.headDim(), cos, sin, arch.rope());
                    Ops.rope(k, (long) t * kvd, c.kvHeads(), c.headDim(), cos, sin, arch.rope());
                    seg.cache.layer(l).store(seg.position + i, k, (long) t * kvd, v, (long) t * kvd);
                }
            }
            lap(Stage.ROPE_AND_CACHE);
            attentionTask.set(l, segments, segmentCount);
            forRange(segmentCount * c.kvHeads(), 1, attentionTask);
            times.addBytes(Stage.ATTENTION, cacheBytes);
            lap(Stage.ATTENTION);
            if (w.attnSubNorm() != null) tokenStep.run(Step.ATTENTION_SUB_NORM, w, n);
            lap(Stage.NORMS);
            bitLinear(Stage.ATTENTION_OUTPUT, att, n, d, w.wo(), proj, null, null, null, null);

            // feed-forward block
            tokenStep.run(Step.ATTENTION_RESIDUAL_AND_FFN_NORM, w, n);
            lap(Stage.NORMS);
            bitLinear(Stage.GATE_UP, xb, n, d, w.wGate(), gate, w.wUp(), up, null, null);
            tokenStep.run(Step.FFN_ACTIVATION, w, n);
            lap(Stage.ACTIVATION);
            bitLinear(Stage.DOWN, gate, n, f, w.wDown(), proj, null, null, null, null);
            tokenStep.run(Step.FFN_RESIDUAL, w, n);
            lap(Stage.NORMS);
        }
        outputLogits(logitRowsOf, logitCount);
        times.addPass(n);
    }

    /** KV cache bytes one layer's attention reads: every segment's K and V rows up to its last position, once. */
    private long cacheBytesRead(Segment[] segments, int count) {
        long positions = 0;
        for (int s = 0; s < count; s++) positions += segments[s].position + segments[s].count;
        return positions * kvBytesPerLayerPosition;
    }

    /** Ends the running stage: its time since the last lap goes to {@code stage}. */
    private void lap(Stage stage) {
        mark = times.lap(stage, mark);
    }

    /** One parallel region: a hand-off to the worker threads and back, counted in the stage times. */
    private void forRange(int count, int grain, Parallel.RangeTask task) {
        times.addRegion();
        model.parallel().forRange(count, grain, task);
    }

    /** x[t] = float(token_embd[token]), an exact F16 to F32 conversion (the row copied from memory or read from the file). */
    private void embed(int token, int t) {
        model.embeddingRows().read(token, 1, embeddingRow, 0);
        long dst = (long) t * c.dim();
        for (int i = 0; i < c.dim(); i++)
            x.setAtIndex(JAVA_FLOAT, dst + i, Float.float16ToFloat(embeddingRow.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
    }

    /**
     * BitLinear for up to three matrices sharing one input: quantize the input once (I8_S, per token), then
     * one parallel region over the concatenated output rows of all matrices.
     */
    private void bitLinear(Stage stage, MemorySegment input, int n, int width, TernaryWeights w0, MemorySegment y0,
            TernaryWeights w1, MemorySegment y1, TernaryWeights w2, MemorySegment y2) {
        kernels.quantizeI8s(input, width, n, act8, actScale, actSum);
        lap(Stage.QUANTIZE);
        matmul.set(n, w0, y0, w1, y1, w2, y2);
        forRange(matmul.totalRows(), 8, matmul);
        times.addBytes(stage, matmul.byteSize());
        lap(stage);
    }

    /** Final RMSNorm, rounding to F16, and the output projection for the listed batch rows. */
    private void outputLogits(int[] rows, int count) {
        if (count == 0) return;
        int d = c.dim();
        boolean quantized = model.outputI8() != null || model.outputQ4() != null;
        for (int i = 0; i < count; i++) {
            long t = rows[i];
            Ops.rmsNorm(proj, (long) i * d, x, t * d, model.weights().outputNorm(), d, c.normEps());
            Ops.toF16(proj, (long) i * d, h16, (long) i * d, d);
        }
        lap(Stage.NORMS);
        // the quantized projections take I8_S activations, like BitLinear (the F16 one rounds them to F16 instead)
        if (quantized) kernels.quantizeI8s(proj, d, count, act8, actScale, actSum);
        lap(Stage.QUANTIZE);
        logitsTask.rows = count;
        forRange(c.vocabSize(), 16, logitsTask);
        times.addBytes(Stage.OUTPUT, model.outputBytes());
        lap(Stage.OUTPUT);
        if (quantized) for (int i = 0; i < count; i++) rescoreBest(i);
        lap(Stage.RESCORE);
    }

    /**
     * Replaces the {@link #RESCORED} best logits of row i (from the quantized pass) by the F16 projection's: the
     * candidates' rows are gathered into one small F16 matrix, multiplied by the F16 activations in one call.
     */
    private void rescoreBest(int i) {
        long base = (long) i * c.vocabSize();
        Ops.topK(logits, base, c.vocabSize(), candidates, candidateValues);
        int d = c.dim();
        F16Rows table = model.outputRows(); // in memory, or (low memory) 64 positional reads of one row each
        for (int j = 0; j < rescored; j++) table.read(candidates[j], 1, candidateRows.data(), 2L * j * d);
        kernels.f16Gemm(candidateRows, h16Rows[i], 1, candidateLogits, rescored, 0, rescored);
        for (int j = 0; j < rescored; j++)
            logits.setAtIndex(JAVA_FLOAT, base + candidates[j], candidateLogits.getAtIndex(JAVA_FLOAT, j));
    }

    /** The output-projection region over vocabulary rows. */
    private final class LogitsTask implements Parallel.RangeTask {
        int rows;

        @Override
        public void run(int b, int e) {
            if (model.outputI8() != null) kernels.i8Gemm(model.outputI8(), act8, actScale, rows, logits, c.vocabSize(), b, e);
            else if (model.outputQ4() != null)
                kernels.q4Gemm(model.outputQ4(), act8, actScale, actSum, rows, logits, c.vocabSize(), b, e);
            else if (model.options().numerics() == Numerics.EXACT) exactLogits(rows, b, e);
            else kernels.f16Gemm(model.weights().output(), h16, rows, logits, c.vocabSize(), b, e);
        }
    }

    /** The output projection with ggml_vec_dot_f16's summation order, rows [b, e) of the vocabulary. */
    private void exactLogits(int rows, int b, int e) {
        int d = c.dim();
        MemorySegment table = model.weights().output().data();
        float[] xs = new float[rows * d], w = new float[d], acc = new float[32];
        for (int i = 0; i < rows * d; i++) xs[i] = Float.float16ToFloat(h16.getAtIndex(JAVA_SHORT_UNALIGNED, i));
        for (int m = b; m < e; m++) {
            for (int i = 0; i < d; i++) w[i] = Float.float16ToFloat(table.getAtIndex(JAVA_SHORT_UNALIGNED, (long) m * d + i));
            for (int t = 0; t < rows; t++) logits.setAtIndex(JAVA_FLOAT, (long) t * c.vocabSize() + m, GgmlOrder.dotF16(w, 0, xs, t * d, d, acc));
        }
    }

    /** The per-token work between the matrix products, in the order a layer runs it. */
    private enum Step { ATTENTION_NORM, QKV_SCALES, ATTENTION_SUB_NORM, ATTENTION_RESIDUAL_AND_FFN_NORM, FFN_ACTIVATION, FFN_RESIDUAL }

    /**
     * The norms, scales, residuals and activation of one step for every token of the batch. Tokens are
     * independent here, so several (a prompt, sessions decoding together) go to the workers, a slice each; one
     * token stays on this thread, where a hand-off would cost more than its work. Same operations in the same
     * order per token either way, so the results do not depend on the split.
     */
    private final class TokenStep implements Parallel.RangeTask {
        private Step step;
        private Weights.Layer w;

        void run(Step step, Weights.Layer w, int n) {
            this.step = step;
            this.w = w;
            if (n > 1) forRange(n, 1, this);
            else run(0, n);
        }

        @Override
        public void run(int begin, int end) {
            for (int t = begin; t < end; t++) {
                switch (step) {
                    case ATTENTION_NORM -> attentionNorm(w, t);
                    case QKV_SCALES -> qkvScales(w, t);
                    case ATTENTION_SUB_NORM -> attentionSubNorm(w, t);
                    case ATTENTION_RESIDUAL_AND_FFN_NORM -> attentionResidualAndFfnNorm(w, t);
                    case FFN_ACTIVATION -> ffnActivation(w, t);
                    case FFN_RESIDUAL -> ffnResidual(w, t);
                }
            }
        }
    }

    /** xb[t] = RMSNorm(x[t]) * attn_norm. */
    private void attentionNorm(Weights.Layer w, int t) {
        int d = c.dim();
        Ops.rmsNorm(xb, (long) t * d, x, (long) t * d, w.attnNorm(), d, c.normEps());
    }

    /** q[t], k[t], v[t] times their projection scales. */
    private void qkvScales(Weights.Layer w, int t) {
        int d = c.dim(), kvd = c.kvDim();
        Ops.scale(q, (long) t * d, d, w.scales().q());
        Ops.scale(k, (long) t * kvd, kvd, w.scales().k());
        Ops.scale(v, (long) t * kvd, kvd, w.scales().v());
    }

    /** att[t] = RMSNorm(att[t]) * attn_sub_norm (BitNet's extra norm before the output projection). */
    private void attentionSubNorm(Weights.Layer w, int t) {
        int d = c.dim();
        Ops.rmsNorm(att, (long) t * d, att, (long) t * d, w.attnSubNorm(), d, c.normEps());
    }

    /** x[t] += scale_o * proj[t]; then xb[t] = RMSNorm(x[t]) * ffn_norm. */
    private void attentionResidualAndFfnNorm(Weights.Layer w, int t) {
        int d = c.dim();
        Ops.scale(proj, (long) t * d, d, w.scales().o());
        Ops.addInPlace(x, proj, (long) t * d, d);
        Ops.rmsNorm(xb, (long) t * d, x, (long) t * d, w.ffnNorm(), d, c.normEps());
    }

    /** gate[t] = act(scale_gate * gate[t]) * (scale_up * up[t]), then the FFN sub-norm where the model has one. */
    private void ffnActivation(Weights.Layer w, int t) {
        int f = c.ffnDim();
        long row = (long) t * f;
        Ops.scale(gate, row, f, w.scales().gate());
        Ops.scale(up, row, f, w.scales().up());
        switch (arch.activation()) {
            case RELU_SQUARED -> Ops.reluSquaredTimes(gate, up, row, f);
            case SILU -> Ops.siluTimes(gate, up, row, f);
        }
        if (w.ffnSubNorm() != null) Ops.rmsNorm(gate, row, gate, row, w.ffnSubNorm(), f, c.normEps());
    }

    /** x[t] += scale_down * proj[t]. */
    private void ffnResidual(Weights.Layer w, int t) {
        int d = c.dim();
        Ops.scale(proj, (long) t * d, d, w.scales().down());
        Ops.addInPlace(x, proj, (long) t * d, d);
    }

    /** The attention region: one unit per (segment, KV head). */
    private final class AttentionTask implements Parallel.RangeTask {
        private int layer, count;
        private Segment[] segments;

        void set(int layer, Segment[] segments, int count) {
            this.layer = layer;
            this.segments = segments;
            this.count = count;
        }

        @Override
        public void run(int begin, int end) {
            boolean exact = model.options().numerics() == Numerics.EXACT;
            for (int u = begin; u < end; u++) {
                Segment s = segments[u / c.kvHeads()];
                int head = u % c.kvHeads();
                if (exact) s.attention.runExact(head, s.cache.layer(layer), q, att, s.offset, s.position, s.count);
                else s.attention.run(head, s.cache.layer(layer), q, att, s.offset, s.position, s.count);
            }
        }
    }

    /** The row-split GEMM region of {@link #bitLinear}: rows of w0, then w1, then w2, as one range. */
    private final class MatMul implements Parallel.RangeTask {
        private int tokens;
        private final TernaryWeights[] w = new TernaryWeights[3];
        private final MemorySegment[] y = new MemorySegment[3];

        void set(int tokens, TernaryWeights w0, MemorySegment y0, TernaryWeights w1, MemorySegment y1, TernaryWeights w2, MemorySegment y2) {
            this.tokens = tokens;
            w[0] = w0; y[0] = y0; w[1] = w1; y[1] = y1; w[2] = w2; y[2] = y2;
        }

        int totalRows() {
            int total = 0;
            for (TernaryWeights m : w) if (m != null) total += m.rows();
            return total;
        }

        long byteSize() {
            long total = 0;
            for (TernaryWeights m : w) if (m != null) total += m.byteSize();
            return total;
        }

        @Override
        public void run(int begin, int end) {
            int base = 0;
            for (int i = 0; i < 3 && w[i] != null; i++) {
                int rows = w[i].rows();
                int b = Math.max(begin - base, 0), e = Math.min(end - base, rows);
                if (b < e) kernels.ternaryGemm(w[i], act8, actScale, actSum, tokens, y[i], rows, b, e);
                base += rows;
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
