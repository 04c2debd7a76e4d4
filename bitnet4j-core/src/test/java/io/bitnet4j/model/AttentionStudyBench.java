package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Attention in prefill, one KV head of 2B4T (4 query heads of 128, F16 cache), one thread: the last batch of
 * {@code batch} tokens of a {@code positions}-token prompt. "vector" is {@link Attention#run} as a pass calls it;
 * "openblas" does the same work as two GEMMs: S = Q·Kᵀ ({@code cblas_sgemm}, (4·batch) × positions), the causal
 * softmax rounded to F16 as Attention does it, then O = P·V. Both convert the F16 cache rows to floats. Run with
 * OPENBLAS_NUM_THREADS=1 (scripts/attention-study.sh): the project's own pool splits the KV heads across threads.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AttentionStudyBench {
    static final ModelConfig SHAPE = new ModelConfig(Architecture.BITNET_B158, 256, 4096, 2560, 1, 20, 5, 128, 6912, 500000f, 1f, 1e-5f);

    @Param({"vector", "openblas"})
    public String method;

    @Param({"512", "1024", "2048", "4096"})
    public int positions;

    @Param({"64", "512"})
    public int batch;

    private Arena arena;
    private KvCache cache;
    private Attention attention;
    private MemorySegment q, out;
    // the GEMM route's operands: F16-rounded queries, K and V rows as floats, scores
    private FloatBuffer queries, keys, values, scores, outputs;
    private float[] row;

    @Setup(Level.Trial)
    public void setup() {
        if (batch > positions) throw new IllegalArgumentException("batch " + batch + " exceeds positions " + positions);
        int hd = SHAPE.headDim(), kvd = SHAPE.kvDim(), d = SHAPE.dim(), g = SHAPE.groupSize();
        arena = Arena.ofShared();
        cache = new KvCache(SHAPE, positions, CacheType.F16, new java.util.concurrent.atomic.AtomicLong());
        attention = new Attention(SHAPE, batch, positions);
        var rnd = new SplittableRandom(3);
        MemorySegment k = randomFloats(kvd, rnd), v = randomFloats(kvd, rnd);
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < kvd; i++) {
                k.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
                v.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
            }
            cache.layer(0).store(p, k, 0, v, 0);
        }
        q = randomFloats((long) batch * d, rnd);
        out = arena.allocate(4L * batch * d, 64);
        queries = floatBuffer((long) g * batch * hd);
        keys = floatBuffer((long) positions * hd);
        values = floatBuffer((long) positions * hd);
        scores = floatBuffer((long) g * batch * positions);
        outputs = floatBuffer((long) g * batch * hd);
        row = new float[positions];
        checkSameResult();
    }

    /** The two routes must compute the same attention (to float rounding) or their times mean nothing. */
    private void checkSameResult() {
        int first = positions - batch, hd = SHAPE.headDim(), g = SHAPE.groupSize();
        attention.run(0, cache.layer(0), q, out, 0, first, batch);
        gemmAttention(first);
        // relative to the largest output: summing in another order moves scores by ulps, which moves some of P's F16
        // roundings by one step, so single near-zero outputs may differ by more than their own magnitude's 1e-3
        double worst = 0, largest = 0;
        for (int h = 0; h < g; h++)
            for (int t = 0; t < batch; t++)
                for (int i = 0; i < hd; i++) {
                    float a = out.getAtIndex(JAVA_FLOAT, (long) t * SHAPE.dim() + h * hd + i), b = outputs.get((h * batch + t) * hd + i);
                    worst = Math.max(worst, Math.abs(a - b));
                    largest = Math.max(largest, Math.abs(a));
                }
        worst /= largest;
        if (worst > 1e-3) throw new IllegalStateException("the GEMM route differs from Attention.run by " + worst + " of the largest output");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private MemorySegment randomFloats(long n, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
        return s;
    }

    private FloatBuffer floatBuffer(long n) {
        return arena.allocate(4 * n, 64).asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Benchmark
    public Object attention() {
        int first = positions - batch;
        if (method.equals("vector")) {
            attention.run(0, cache.layer(0), q, out, 0, first, batch);
            return out;
        }
        return gemmAttention(first);
    }

    /** KV head 0 through two sgemm calls, with Attention's rounding of Q and P to F16 and its softmax. */
    private FloatBuffer gemmAttention(int first) {
        int hd = SHAPE.headDim(), g = SHAPE.groupSize(), rows = g * batch;
        float[] tile = new float[64 * hd];
        for (int j0 = 0; j0 < positions; j0 += 64) {
            int n = Math.min(64, positions - j0);
            cache.layer(0).keys(j0, n, 0, tile);
            keys.put(j0 * hd, tile, 0, n * hd);
            cache.layer(0).values(j0, n, 0, tile);
            values.put(j0 * hd, tile, 0, n * hd);
        }
        for (int h = 0; h < g; h++)
            for (int t = 0; t < batch; t++)
                for (int i = 0; i < hd; i++)
                    queries.put((h * batch + t) * hd + i, Ops.roundF16(q.getAtIndex(JAVA_FLOAT, (long) t * SHAPE.dim() + h * hd + i)));
        float scale = 1.0f / (float) Math.sqrt(hd);
        openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, positions, hd, scale, queries, hd, keys, hd, 0f, scores, positions);
        for (int r = 0; r < rows; r++) {
            int visible = first + r % batch + 1;
            scores.get(r * positions, row, 0, positions);
            Attention.softmaxToF16(row, 0, visible);
            for (int j = visible; j < positions; j++) row[j] = 0f; // causal: later positions get p = 0
            scores.put(r * positions, row, 0, positions);
        }
        openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, hd, positions, 1f, scores, positions, values, hd, 0f, outputs, hd);
        return outputs;
    }
}
