package io.bitnet4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import io.bitnet4j.kernels.JavaKernels;
import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.TernaryWeights;
import io.bitnet4j.kernels.VectorKernels;
import io.bitnet4j.kernels.VectorLut;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas_nolapack;
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
 * The kernel study: one ternary GEMM (T tokens, all rows, one thread) per operation for every kernel on the
 * 2B4T shapes and batch sizes. Kernels: "java" (scalar Java), "vector" (Vector API, preferred width),
 * "scalar" / "avx2" / "avx512-vnni" / "neon" / "neon-dotprod" (native I2_S at that ISA), "tl2" / "tl1"
 * (native lookup tables over a load-time repack), "vector-lut" (Vector API lookup tables, {@link VectorLut}), and
 * the dense baseline "openblas-f32": the same shape as an F32 matrix through OpenBLAS ({@code cblas_sgemv} at one
 * token, {@code cblas_sgemm} beyond; run with OPENBLAS_NUM_THREADS=1 so it is one thread like the others).
 * scripts/kernel-study.sh passes only what the CPU runs and renders docs/kernels.md from the JSON.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class KernelStudyBench {

    @Param({"avx2"})
    public String kernel;

    @Param({"2560x2560", "640x2560", "6912x2560", "2560x6912"})
    public String shape;

    @Param({"1", "8", "32", "128"})
    public int tokens;

    private Arena arena;
    private Kernels kernels;
    private TernaryWeights w;
    private MemorySegment q, scale, sum, y;
    private int m, k;
    private FloatBuffer denseW, denseX, denseY; // the OpenBLAS baseline's operands, null for the ternary kernels

    @Setup(Level.Trial)
    public void setup() {
        String[] mk = shape.split("x");
        m = Integer.parseInt(mk[0]);
        k = Integer.parseInt(mk[1]);
        arena = Arena.ofShared();
        var rnd = new SplittableRandom(42);
        if (kernel.equals("openblas-f32")) {
            denseW = floats((long) m * k, rnd);
            denseX = floats((long) k * tokens, rnd);
            denseY = floats((long) m * tokens, rnd);
            return;
        }
        MemorySegment data = arena.allocate(TernaryMatrix.bytes(m, k), 64);
        for (long i = 0; i < data.byteSize(); i++) {
            int b = 0;
            for (int j = 0; j < 4; j++) b = (b << 2) | rnd.nextInt(3);
            data.set(JAVA_BYTE, i, (byte) b);
        }
        kernels = switch (kernel) {
            case "java" -> new JavaKernels();
            case "vector" -> new VectorKernels();
            case "vector-lut" -> new VectorKernels(true);
            case "tl1", "tl2" -> NativeBackend.create(null, kernel);
            default -> NativeBackend.select(kernel);
        };
        w = kernels.prepare(new TernaryMatrix(data, m, k, 0.8f), arena);
        MemorySegment x = arena.allocate(4L * k * tokens, 64);
        for (long i = 0; i < (long) k * tokens; i++) x.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(-3, 3));
        q = arena.allocate((long) k * tokens, 64);
        scale = arena.allocate(4L * tokens);
        sum = arena.allocate(4L * tokens);
        y = arena.allocate(4L * m * tokens, 64);
        kernels.quantizeI8s(x, k, tokens, q, scale, sum);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** n random floats in a direct buffer over off-heap memory (JavaCPP passes its address, no copy). */
    private FloatBuffer floats(long n, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        return s.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Benchmark
    public Object gemm() {
        if (denseW != null) return dense();
        kernels.ternaryGemm(w, q, scale, sum, tokens, y, m, 0, m);
        return y;
    }

    /** y[t][m] = sum_k W[m][k] x[t][k] in F32: Y (T x M) = X (T x K) * W^T. */
    private FloatBuffer dense() {
        if (tokens == 1) openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1f, denseW, k, denseX, 1, 0f, denseY, 1);
        else openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, m, k, 1f, denseX, k, denseW, k, 0f, denseY, m);
        return denseY;
    }
}
