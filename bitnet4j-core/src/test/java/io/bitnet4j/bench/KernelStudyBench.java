package io.bitnet4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.bitnet4j.kernels.JavaKernels;
import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.LutMatrix;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.NativeLut;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.VectorKernels;
import io.bitnet4j.kernels.VectorLut;
import io.bitnet4j.kernels.VectorLutMatrix;
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
 * The kernel study: one ternary GEMM (T tokens, all rows, one thread) per operation for every kernel on the
 * 2B4T shapes and batch sizes. Kernels: "java" (scalar Java), "vector" (Vector API, preferred width),
 * "scalar" / "avx2" / "avx512-vnni" / "neon" / "neon-dotprod" (native I2_S at that ISA), "tl2" / "tl1"
 * (native lookup tables over a load-time repack), "vector-lut" (Vector API lookup tables, {@link VectorLut}). scripts/kernel-study.sh passes only what the CPU runs and
 * renders docs/kernels.md from the JSON.
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
    private LutMatrix lut;
    private VectorLutMatrix vlut;
    private TernaryMatrix w;
    private MemorySegment q, scale, sum, y;
    private int m;

    @Setup(Level.Trial)
    public void setup() {
        String[] mk = shape.split("x");
        m = Integer.parseInt(mk[0]);
        int k = Integer.parseInt(mk[1]);
        arena = Arena.ofShared();
        var rnd = new SplittableRandom(42);
        MemorySegment data = arena.allocate(TernaryMatrix.bytes(m, k), 64);
        for (long i = 0; i < data.byteSize(); i++) {
            int b = 0;
            for (int j = 0; j < 4; j++) b = (b << 2) | rnd.nextInt(3);
            data.set(JAVA_BYTE, i, (byte) b);
        }
        w = new TernaryMatrix(data, m, k, 0.8f);
        kernels = switch (kernel) {
            case "java" -> new JavaKernels();
            case "vector", "vector-lut" -> new VectorKernels(); // vector-lut: only for quantizeI8s below
            case "tl1", "tl2" -> new NativeBackend();
            default -> NativeBackend.select(kernel);
        };
        if (kernel.startsWith("tl")) lut = NativeLut.pack(w, kernel, arena);
        if (kernel.equals("vector-lut")) vlut = VectorLut.pack(w, arena);
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

    @Benchmark
    public MemorySegment gemm() {
        if (lut != null) NativeLut.gemm(null, lut, q, scale, sum, tokens, y, m, 0, m);
        else if (vlut != null) VectorLut.gemm(vlut, q, scale, sum, tokens, y, m, 0, m);
        else kernels.i2sGemm(w, q, scale, sum, tokens, y, m, 0, m);
        return y;
    }
}
