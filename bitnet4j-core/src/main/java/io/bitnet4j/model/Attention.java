package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Causal grouped-query attention over an F16 KV cache, in bitnet.cpp's numerics (spec §3.4): Q is rounded
 * to F16, scores = Q·K (float accumulation) times 1/sqrt(headDim), softmax with the sum in double, P
 * rounded to F16, out = P·V.
 *
 * <p>The unit of work is one KV head: its cached K and V rows are converted to float once, a tile at a
 * time, and shared by the query heads of its group and by every token of the batch. With fast numerics, calls past
 * the crossover (or every call, as the options say) go to OpenBLAS instead ({@link BlasAttention}): the same
 * computation as two matrix products.
 */
final class Attention implements AutoCloseable {
    static final int TILE = 64; // positions per converted K/V tile: 64 x 128 floats stay in L1/L2

    private final ModelConfig c;
    private final int maxTokens, contextLength;
    /**
     * Per KV head: converted tile, F16-rounded queries, outputs. Scores for [group][token][position] grow with the
     * positions in use (rows of {@link #span} cells), like the KV cache, instead of being sized for the context.
     */
    private final float[][] tile, queries, scores, outputs, dots;
    private final int[] span;
    /** Exact mode only (allocated on first use): K rows and transposed V of a KV head, padded to 32 positions. */
    private float[][] exactKeys, exactValuesT, exactRow, exactAcc;
    /** The OpenBLAS route, null when {@link #kernel} is JAVA. */
    private final AttentionKernel kernel;
    private final BlasAttention blas;

    /** Java attention for every call. */
    Attention(ModelConfig c, int maxTokens, int contextLength) {
        this(c, maxTokens, contextLength, AttentionKernel.JAVA);
    }

    /**
     * kernel is the model's resolved choice: JAVA, AUTO (OpenBLAS where {@link BlasAttention#pays}) or OPENBLAS
     * (every call of {@link #run}); the latter two only where OpenBLAS is available.
     */
    Attention(ModelConfig c, int maxTokens, int contextLength, AttentionKernel kernel) {
        this.c = c;
        this.kernel = kernel;
        this.blas = kernel == AttentionKernel.JAVA ? null : new BlasAttention(c, maxTokens, contextLength);
        this.maxTokens = maxTokens;
        this.contextLength = contextLength;
        int g = c.groupSize(), hd = c.headDim();
        tile = new float[c.kvHeads()][TILE * hd];
        queries = new float[c.kvHeads()][g * maxTokens * hd];
        scores = new float[c.kvHeads()][];
        span = new int[c.kvHeads()];
        outputs = new float[c.kvHeads()][2 * hd]; // two heads' outputs (P·V runs heads in pairs)
        dots = new float[c.kvHeads()][Ops.DOT4X2_OUT];
    }

    /**
     * For tokens t in [0, tokens) at positions pos + t, reads q rows first + t of [batch][dim] and writes the
     * same rows of out; K and V for positions [0, pos + tokens) must already be in the cache.
     */
    void run(int kvHead, KvCache.Layer cache, MemorySegment q, MemorySegment out, int first, int pos, int tokens) {
        if (tokens > maxTokens || pos + tokens > contextLength) throw new IllegalStateException("attention batch exceeds its buffers");
        int g = c.groupSize(), hd = c.headDim(), dim = c.dim(), end = pos + tokens;
        if (blas != null && (kernel == AttentionKernel.OPENBLAS || BlasAttention.pays(tokens, end))) {
            blas.run(kvHead, cache, q, out, first, pos, tokens, tile[kvHead]);
            return;
        }
        int stride = scoreSpan(kvHead, end);
        float[] qs = queries[kvHead], sc = scores[kvHead], kv = tile[kvHead], o = outputs[kvHead], dot = dots[kvHead];
        float scale = 1.0f / (float) Math.sqrt(hd);

        for (int h = 0; h < g; h++)
            for (int t = 0; t < tokens; t++) {
                long src = (long) (first + t) * dim + (long) (kvHead * g + h) * hd;
                int dst = (h * tokens + t) * hd;
                for (int d = 0; d < hd; d++) qs[dst + d] = Ops.roundF16(q.getAtIndex(JAVA_FLOAT_UNALIGNED, src + d));
            }

        // scores: one K tile at a time, every (head, token) of the group against it
        for (int j0 = 0; j0 < end; j0 += TILE) {
            int n = Math.min(TILE, end - j0);
            cache.keys(j0, n, kvHead, kv);
            for (int t = 0; t < tokens; t++) {
                int visible = Math.min(n, pos + t + 1 - j0); // causal: position pos+t sees [0, pos+t]
                int h = 0;
                for (; h + 4 <= g; h += 4) headQuadScores(qs, sc, kv, h, t, tokens, stride, j0, visible, scale, dot);
                for (; h < g; h++) headScores(qs, sc, kv, h * tokens + t, stride, j0, visible, scale, dot);
            }
        }

        for (int row = 0; row < g * tokens; row++) softmaxToF16(sc, row * stride, pos + row % tokens + 1);

        // out = P·V, again a V tile at a time
        for (int h = 0; h < g; h++)
            for (int t = 0; t < tokens; t++) {
                long dst = (long) (first + t) * dim + (long) (kvHead * g + h) * hd;
                for (int d = 0; d < hd; d++) out.setAtIndex(JAVA_FLOAT_UNALIGNED, dst + d, 0f);
            }
        for (int j0 = 0; j0 < end; j0 += TILE) {
            int n = Math.min(TILE, end - j0);
            cache.values(j0, n, kvHead, kv);
            for (int t = 0; t < tokens; t++) {
                int visible = Math.min(n, pos + t + 1 - j0);
                if (visible <= 0) continue;
                int h = 0;
                for (; h + 2 <= g; h += 2) { // two heads share each V load
                    long dst = (long) (first + t) * dim + (long) (kvHead * g + h) * hd;
                    MemorySegment.copy(out, JAVA_FLOAT_UNALIGNED, 4 * dst, o, 0, 2 * hd); // heads h and h+1 are adjacent
                    int rowA = (h * tokens + t) * stride + j0, rowB = rowA + tokens * stride, j = 0;
                    for (; j + 4 <= visible; j += 4) Ops.axpy4x2(sc, rowA + j, rowB + j, kv, j * hd, hd, o, 0, hd, hd);
                    for (; j < visible; j++) {
                        Ops.axpy(sc[rowA + j], kv, j * hd, o, 0, hd);
                        Ops.axpy(sc[rowB + j], kv, j * hd, o, hd, hd);
                    }
                    MemorySegment.copy(o, 0, out, JAVA_FLOAT_UNALIGNED, 4 * dst, 2 * hd);
                }
                for (; h < g; h++) {
                    long dst = (long) (first + t) * dim + (long) (kvHead * g + h) * hd;
                    MemorySegment.copy(out, JAVA_FLOAT_UNALIGNED, 4 * dst, o, 0, hd);
                    int row = (h * tokens + t) * stride + j0, j = 0;
                    for (; j + 4 <= visible; j += 4) Ops.axpy4(sc[row + j], sc[row + j + 1], sc[row + j + 2], sc[row + j + 3], kv, j * hd, hd, o, hd);
                    for (; j < visible; j++) Ops.axpy(sc[row + j], kv, j * hd, o, 0, hd);
                    MemorySegment.copy(o, 0, out, JAVA_FLOAT_UNALIGNED, 4 * dst, hd);
                }
            }
        }
    }

    /** Scores of query heads h..h+3 (token t) against the tile's first {@code visible} keys, two keys at a time. */
    private static void headQuadScores(float[] qs, float[] sc, float[] kv, int h, int t, int tokens, int stride, int j0, int visible,
            float scale, float[] d8) {
        int hd = kv.length / TILE, first = (h * tokens + t) * hd, rowStride = tokens * hd, j = 0;
        for (; j + 2 <= visible; j += 2) {
            Ops.dot4x2(qs, first, rowStride, kv, j * hd, hd, hd, d8);
            for (int r = 0; r < 4; r++) {
                int at = ((h + r) * tokens + t) * stride + j0 + j;
                sc[at] = d8[2 * r] * scale;
                sc[at + 1] = d8[2 * r + 1] * scale;
            }
        }
        for (int r = 0; j < visible && r < 4; r++) {
            int row = (h + r) * tokens + t;
            sc[row * stride + j0 + j] = Ops.dot(qs, row * hd, kv, j * hd, hd) * scale;
        }
    }

    /** Scores of one (head, token) row against the tile's first {@code visible} keys, four at a time. */
    private static void headScores(float[] qs, float[] sc, float[] kv, int row, int stride, int j0, int visible, float scale, float[] d4) {
        int hd = kv.length / TILE, at = row * stride + j0, j = 0;
        for (; j + 4 <= visible; j += 4) { // four keys per pass: four FMA chains share the query loads
            Ops.dot4(qs, row * hd, kv, j * hd, hd, hd, d4);
            for (int u = 0; u < 4; u++) sc[at + j + u] = d4[u] * scale;
        }
        for (; j < visible; j++) sc[at + j] = Ops.dot(qs, row * hd, kv, j * hd, hd) * scale;
    }

    /** Frees the OpenBLAS route's off-heap buffers; call when no pass runs (the session's close). */
    @Override
    public void close() {
        if (blas != null) blas.close();
    }

    /** The row length of kvHead's scores for a batch ending at position end, growing its array in KV-cache blocks. */
    private int scoreSpan(int kvHead, int end) {
        if (span[kvHead] < end) {
            span[kvHead] = Math.min(contextLength, (end + KvCache.BLOCK - 1) / KvCache.BLOCK * KvCache.BLOCK);
            scores[kvHead] = new float[c.groupSize() * maxTokens * span[kvHead]];
        }
        return span[kvHead];
    }

    /**
     * The same computation with every sum in ggml's order ({@link GgmlOrder}): Q·K and P·V as ggml F16 dot
     * products over the KV length padded to 32 (masked cells: score -inf, V zero), the softmax as ggml sums it.
     */
    void runExact(int kvHead, KvCache.Layer cache, MemorySegment q, MemorySegment out, int first, int pos, int tokens) {
        if (tokens > maxTokens || pos + tokens > contextLength) throw new IllegalStateException("attention batch exceeds its buffers");
        int g = c.groupSize(), hd = c.headDim(), dim = c.dim(), used = pos + tokens, padded = GgmlOrder.padded(used);
        int stride = GgmlOrder.padded(contextLength);
        allocateExact(stride);
        float[] keys = exactKeys[kvHead], valuesT = exactValuesT[kvHead], row = exactRow[kvHead], acc = exactAcc[kvHead];
        float[] kv = tile[kvHead];
        for (int j0 = 0; j0 < used; j0 += TILE) {
            int n = Math.min(TILE, used - j0);
            cache.keys(j0, n, kvHead, kv);
            System.arraycopy(kv, 0, keys, j0 * hd, n * hd);
            cache.values(j0, n, kvHead, kv);
            for (int j = 0; j < n; j++) for (int d = 0; d < hd; d++) valuesT[d * stride + j0 + j] = kv[j * hd + d];
        }
        float scale = 1.0f / (float) Math.sqrt(hd);
        float[] q16 = outputs[kvHead];
        for (int h = 0; h < g; h++)
            for (int t = 0; t < tokens; t++) {
                long base = (long) (first + t) * dim + (long) (kvHead * g + h) * hd;
                for (int d = 0; d < hd; d++) q16[d] = Ops.roundF16(q.getAtIndex(JAVA_FLOAT_UNALIGNED, base + d));
                int visible = pos + t + 1;
                for (int j = 0; j < padded; j++)
                    row[j] = j < visible ? GgmlOrder.dotF16(keys, j * hd, q16, 0, hd, acc) * scale : Float.NEGATIVE_INFINITY;
                GgmlOrder.softmax(row, 0, padded, acc);
                for (int j = 0; j < padded; j++) row[j] = Ops.roundF16(row[j]);
                for (int d = 0; d < hd; d++) {
                    // cells this token may not see hold p = 0; their V is read as 0 so stale cache rows cannot matter
                    for (int j = visible; j < padded; j++) valuesT[d * stride + j] = 0f;
                    out.setAtIndex(JAVA_FLOAT_UNALIGNED, base + d, GgmlOrder.dotF16(valuesT, d * stride, row, 0, padded, acc));
                }
                if (t + 1 < tokens) refillValues(cache, kvHead, visible, used, stride);
            }
    }

    /** Restores V cells [from, to) of the transposed copy after a token of the batch zeroed them. */
    private void refillValues(KvCache.Layer cache, int kvHead, int from, int to, int stride) {
        int hd = c.headDim();
        float[] kv = tile[kvHead], valuesT = exactValuesT[kvHead];
        for (int j0 = from; j0 < to; j0 += TILE) {
            int n = Math.min(TILE, to - j0);
            cache.values(j0, n, kvHead, kv);
            for (int j = 0; j < n; j++) for (int d = 0; d < hd; d++) valuesT[d * stride + j0 + j] = kv[j * hd + d];
        }
    }

    private synchronized void allocateExact(int stride) {
        if (exactKeys != null) return;
        int hd = c.headDim(), kvh = c.kvHeads();
        exactKeys = new float[kvh][stride * hd];
        exactValuesT = new float[kvh][stride * hd];
        exactRow = new float[kvh][stride];
        exactAcc = new float[kvh][32];
    }

    /**
     * softmax over s[off, off+n): max, exp, sum in double, scale by (float)(1/sum), then round to F16. The exponentials
     * and the rounding are {@link Ops#expShiftedSum} and {@link Ops#scaleToF16}: vector code that the interpreter and
     * the JIT compute alike, so the result never depends on what the JVM compiled.
     */
    static void softmaxToF16(float[] s, int off, int n) {
        Ops.scaleToF16(s, off, n, (float) (1.0 / Ops.expShiftedSum(s, off, n, Ops.max(s, off, n))));
    }
}
