package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * {@link Attention#run}'s computation as two OpenBLAS {@code sgemm} calls per chunk of tokens (S = Q·Kᵀ, then
 * O = P·V), with the Java route's F16 rounding of Q and P, its scale and its softmax ({@link Attention#softmaxToF16}):
 * only the summation order of the two products differs. OpenBLAS ({@code org.bytedeco:openblas}, JavaCPP preset) is
 * an optional dependency of the core: nothing here touches it unless {@link #unavailableReason()} is null.
 *
 * <p>Per KV head, off-heap (sgemm reads direct buffers without a copy): K and V of the positions in use as floats,
 * the F16-rounded queries of a chunk, its scores and outputs. They grow in KV-cache blocks with the positions, like
 * the cache, and {@link #close} frees them.
 */
final class BlasAttention implements AutoCloseable {
    /**
     * The calls AUTO sends here: at least this many tokens, over at least {@link #MIN_POSITIONS} positions.
     * AttentionStudyBench (one 2B4T KV head, one thread, Zen 3 under load, fastest call of ~1000 sampled; table in
     * docs/performance.md, "Attention through OpenBLAS"): Java over OpenBLAS 0.55-0.61x at 1 token (decode stays in
     * Java), 1.00-1.18x at 4, 1.19-1.52x at 8 tokens from 128 positions, 1.31-2.31x at 16-64 tokens; at 64 positions
     * 8+ tokens gain 1.1-1.4x by the fastest call but not always by the median, so short prefixes stay in Java.
     */
    static final int MIN_TOKENS = 8, MIN_POSITIONS = 128;

    /**
     * Tokens per pair of sgemm calls: bounds the scores buffer (groupSize × CHUNK × positions floats) whatever the
     * prompt batch, and lets each chunk's products stop at its last token's position instead of the batch's.
     */
    static final int CHUNK = 64;

    /** Null when OpenBLAS loaded and answered a test product, else why not; probed once per class loader. */
    private static final String UNAVAILABLE = probe();

    private final ModelConfig c;
    private final int maxTokens, contextLength;
    private final Buffers[] heads;

    BlasAttention(ModelConfig c, int maxTokens, int contextLength) {
        if (UNAVAILABLE != null) throw new UnsupportedOperationException(UNAVAILABLE);
        this.c = c;
        this.maxTokens = maxTokens;
        this.contextLength = contextLength;
        this.heads = new Buffers[c.kvHeads()];
    }

    /** Null when OpenBLAS is usable here, else the reason it is not. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** Whether AUTO runs a call of {@code tokens} tokens ending at position {@code positions} here (the crossover). */
    static boolean pays(int tokens, int positions) {
        return tokens >= MIN_TOKENS && positions >= MIN_POSITIONS;
    }

    /** The OpenBLAS preset's version, e.g. "0.3.31-1.5.13", or "" when unknown. */
    static String version() {
        if (UNAVAILABLE != null) return "";
        try {
            String v = Loader.getVersion("org.bytedeco", "openblas", openblas_nolapack.class);
            return v == null ? "" : v;
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /**
     * Loads the preset's library and checks one product. Whatever goes wrong (the jar or JavaCPP missing from this
     * class loader, no natives for this platform, a library that fails to link) becomes the reason, so this class
     * always initializes and AUTO falls back to Java (an exception out of a static initializer would make the class
     * unusable for the JVM's lifetime).
     */
    private static String probe() {
        try {
            Class.forName("org.bytedeco.openblas.global.openblas_nolapack", true, BlasAttention.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return "OpenBLAS (org.bytedeco:openblas) is not on the class path (on the module path: --add-modules org.bytedeco.openblas)";
        } catch (Throwable e) {
            return notLoaded(e);
        }
        try {
            Loader.load(openblas_nolapack.class);
            // One OpenBLAS thread, the caller's: the pass's own worker pool already runs one (session, KV head) unit
            // per thread, so OpenBLAS threads would only compete with it for the same cores. The setting is global.
            openblas_nolapack.blas_set_num_threads(1);
            FloatBuffer a = direct(4), b = direct(4), p = direct(4);
            a.put(0, new float[] {1, 2, 3, 4});
            b.put(0, new float[] {5, 6, 7, 8});
            sgemm(false, 2, 2, 2, 1f, a, 2, b, 2, p, 2);
            float[] got = new float[4];
            p.get(0, got);
            if (got[0] != 19 || got[1] != 22 || got[2] != 43 || got[3] != 50)
                return "OpenBLAS loaded but computed a wrong 2x2 product: " + java.util.Arrays.toString(got);
            return null;
        } catch (Throwable e) {
            return notLoaded(e);
        }
    }

    private static String notLoaded(Throwable e) {
        String platform;
        try {
            platform = Loader.getPlatform();
        } catch (Throwable javacppMissing) {
            return "OpenBLAS cannot be used: JavaCPP (org.bytedeco:javacpp) cannot be loaded by bitnet4j-core's class loader: " + e;
        }
        return "OpenBLAS for " + platform + " could not be loaded (put org.bytedeco:openblas with classifier " + platform
                + " on the class path): " + e;
    }

    private static FloatBuffer direct(int floats) {
        return java.nio.ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Row-major C[m][n] = alpha · A[m][k] · B (B is [k][n], or [n][k] used transposed). */
    private static void sgemm(boolean transposeB, int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb,
            FloatBuffer out, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                transposeB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, 0f, out, ldc);
    }

    /**
     * As {@link Attention#run}: for tokens t in [0, tokens) at positions pos + t, reads q rows first + t of
     * [batch][dim] and writes kvHead's query heads of the same rows of out. {@code tile} is the caller's scratch
     * for cache reads, Attention.TILE × headDim floats.
     */
    void run(int kvHead, KvCache.Layer cache, MemorySegment q, MemorySegment out, int first, int pos, int tokens, float[] tile) {
        if (tokens > maxTokens || pos + tokens > contextLength) throw new IllegalStateException("attention batch exceeds its buffers");
        int g = c.groupSize(), hd = c.headDim(), dim = c.dim(), end = pos + tokens, width = g * hd;
        Buffers b = buffers(kvHead, end);
        float[] row = b.row;
        for (int j0 = 0; j0 < end; j0 += Attention.TILE) {
            int n = Math.min(Attention.TILE, end - j0);
            cache.keys(j0, n, kvHead, tile);
            MemorySegment.copy(tile, 0, b.keys, JAVA_FLOAT, 4L * j0 * hd, n * hd);
            cache.values(j0, n, kvHead, tile);
            MemorySegment.copy(tile, 0, b.values, JAVA_FLOAT, 4L * j0 * hd, n * hd);
        }
        float scale = 1.0f / (float) Math.sqrt(hd);
        for (int t0 = 0; t0 < tokens; t0 += CHUNK) {
            int chunk = Math.min(CHUNK, tokens - t0), rows = chunk * g, cols = pos + t0 + chunk; // cols: what the chunk's last token sees
            // Q rows in (token, head) order: a token's group of heads is one contiguous run of q and of out
            for (int t = 0; t < chunk; t++) {
                long src = (long) (first + t0 + t) * dim + (long) kvHead * width;
                for (int i = 0; i < width; i++)
                    b.queries.setAtIndex(JAVA_FLOAT, (long) t * width + i, Ops.roundF16(q.getAtIndex(JAVA_FLOAT_UNALIGNED, src + i)));
            }
            sgemm(true, rows, cols, hd, scale, b.queryBuffer, hd, b.keyBuffer, hd, b.scoreBuffer, cols);
            for (int r = 0; r < rows; r++) {
                int visible = pos + t0 + r / g + 1; // causal: position pos+t sees [0, pos+t]
                long at = 4L * r * cols;
                MemorySegment.copy(b.scores, JAVA_FLOAT, at, row, 0, visible);
                Attention.softmaxToF16(row, 0, visible);
                java.util.Arrays.fill(row, visible, cols, 0f); // later positions get p = 0
                MemorySegment.copy(row, 0, b.scores, JAVA_FLOAT, at, cols);
            }
            sgemm(false, rows, hd, cols, 1f, b.scoreBuffer, cols, b.valueBuffer, hd, b.outputBuffer, hd);
            for (int t = 0; t < chunk; t++)
                MemorySegment.copy(b.outputs, 4L * t * width, out, 4L * ((long) (first + t0 + t) * dim + (long) kvHead * width), 4L * width);
        }
    }

    /** kvHead's buffers, grown (in KV-cache blocks) to hold positions [0, end). */
    private Buffers buffers(int kvHead, int end) {
        Buffers b = heads[kvHead];
        if (b != null && b.positions >= end) return b;
        if (b != null) b.arena.close();
        int positions = Math.min(contextLength, (end + KvCache.BLOCK - 1) / KvCache.BLOCK * KvCache.BLOCK);
        return heads[kvHead] = new Buffers(positions, Math.min(CHUNK, maxTokens));
    }

    /** One KV head's operands, off-heap (the FloatBuffer views are what sgemm is given), and a softmax row. */
    private final class Buffers {
        final int positions;
        final float[] row;
        final Arena arena = Arena.ofShared(); // a KV head's unit runs on any worker thread, one at a time
        final MemorySegment keys, values, queries, scores, outputs;
        final FloatBuffer keyBuffer, valueBuffer, queryBuffer, scoreBuffer, outputBuffer;

        Buffers(int positions, int chunk) {
            this.positions = positions;
            this.row = new float[positions];
            int hd = c.headDim(), rows = chunk * c.groupSize();
            keys = floats((long) positions * hd);
            values = floats((long) positions * hd);
            queries = floats((long) rows * hd);
            scores = floats((long) rows * positions);
            outputs = floats((long) rows * hd);
            keyBuffer = view(keys);
            valueBuffer = view(values);
            queryBuffer = view(queries);
            scoreBuffer = view(scores);
            outputBuffer = view(outputs);
        }

        private MemorySegment floats(long n) {
            if (4 * n > Integer.MAX_VALUE) throw new IllegalStateException("OpenBLAS attention buffer of " + n + " floats exceeds a direct buffer's 2 GiB");
            return arena.allocate(4 * n, 64);
        }

        private static FloatBuffer view(MemorySegment s) {
            return s.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < heads.length; i++) {
            if (heads[i] != null) heads[i].arena.close();
            heads[i] = null;
        }
    }
}
