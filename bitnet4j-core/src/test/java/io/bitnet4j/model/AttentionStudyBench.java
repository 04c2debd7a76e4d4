package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Attention, one KV head of 2B4T (4 query heads of 128, F16 cache), one thread: the last batch of {@code batch}
 * tokens of a {@code positions}-token prompt. "vector" is {@link Attention#run}'s Java route; "openblas" is the
 * runtime's OpenBLAS route ({@link BlasAttention}: two {@code cblas_sgemm} per chunk of tokens, with the Java route's
 * F16 rounding of Q and P and its softmax). Both convert the F16 cache rows to floats. BlasAttention sets OpenBLAS to
 * one thread, as at run time: the pass's own pool splits the KV heads across threads. Where
 * {@link BlasAttention#MIN_TOKENS} and {@link BlasAttention#MIN_POSITIONS} come from (scripts/attention-study.sh).
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
    private Attention java, blas;
    private MemorySegment q, out, blasOut;

    @Setup(Level.Trial)
    public void setup() {
        if (batch > positions) throw new IllegalArgumentException("batch " + batch + " exceeds positions " + positions);
        String unavailable = BlasAttention.unavailableReason();
        if (unavailable != null) throw new IllegalStateException(unavailable);
        int kvd = SHAPE.kvDim(), d = SHAPE.dim();
        arena = Arena.ofShared();
        cache = new KvCache(SHAPE, positions, CacheType.F16, new java.util.concurrent.atomic.AtomicLong());
        java = new Attention(SHAPE, batch, positions, AttentionKernel.JAVA);
        blas = new Attention(SHAPE, batch, positions, AttentionKernel.OPENBLAS);
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
        blasOut = arena.allocate(4L * batch * d, 64);
        checkSameResult();
    }

    /** The two routes must compute the same attention (to float rounding) or their times mean nothing. */
    private void checkSameResult() {
        int first = positions - batch, hd = SHAPE.headDim(), g = SHAPE.groupSize();
        java.run(0, cache.layer(0), q, out, 0, first, batch);
        blas.run(0, cache.layer(0), q, blasOut, 0, first, batch);
        // relative to the largest output: summing in another order moves scores by ulps, which moves some of P's F16
        // roundings by one step, so single near-zero outputs may differ by more than their own magnitude's 1e-3
        double worst = 0, largest = 0;
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < g * hd; i++) {
                float a = out.getAtIndex(JAVA_FLOAT, (long) t * SHAPE.dim() + i), b = blasOut.getAtIndex(JAVA_FLOAT, (long) t * SHAPE.dim() + i);
                worst = Math.max(worst, Math.abs(a - b));
                largest = Math.max(largest, Math.abs(a));
            }
        worst /= largest;
        if (worst > 1e-3) throw new IllegalStateException("the OpenBLAS route differs from the Java route by " + worst + " of the largest output");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        blas.close();
        arena.close();
    }

    private MemorySegment randomFloats(long n, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
        return s;
    }

    @Benchmark
    public Object attention() {
        (method.equals("vector") ? java : blas).run(0, cache.layer(0), q, out, 0, positions - batch, batch);
        return out;
    }
}
