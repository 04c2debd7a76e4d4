package io.bitnet4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.bitnet4j.kernels.JavaKernels;
import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.VectorKernels;
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
 * One ternary GEMV (T = 1, all rows, one thread) per operation on the BitNet b1.58 2B4T shapes (M x K):
 * q/k/v/o 2560x2560, the GQA k/v 640x2560, gate/up 6912x2560, down 2560x6912. Weights and activations live
 * off-heap, allocated and filled once per trial; the output is written to an off-heap vector (no escape to
 * eliminate), so every operation reads all M*K/4 weight bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemvBench {

    @Param({"java", "vector", "native"})
    public String backend;

    @Param({"2560x2560", "640x2560", "6912x2560", "2560x6912"})
    public String shape;

    private Arena arena;
    private Kernels kernels;
    private TernaryMatrix w;
    private MemorySegment q, scale, sum, y;
    private int m;

    @Setup(Level.Trial)
    public void setup() {
        String[] mk = shape.split("x");
        m = Integer.parseInt(mk[0]);
        int k = Integer.parseInt(mk[1]);
        kernels = switch (backend) {
            case "java" -> new JavaKernels();
            case "vector" -> new VectorKernels();
            case "native" -> new NativeBackend();
            default -> throw new IllegalArgumentException("backend " + backend);
        };
        System.out.println("# kernels: " + kernels.describe());
        arena = Arena.ofShared();
        var rnd = new SplittableRandom(42);
        MemorySegment data = arena.allocate(TernaryMatrix.bytes(m, k), 64);
        for (long i = 0; i < data.byteSize(); i++) {
            int b = 0;
            for (int j = 0; j < 4; j++) b = (b << 2) | rnd.nextInt(3);
            data.set(JAVA_BYTE, i, (byte) b);
        }
        w = new TernaryMatrix(data, m, k, 0.8f);
        MemorySegment x = arena.allocate(4L * k, 64);
        for (int i = 0; i < k; i++) x.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(-3, 3));
        q = arena.allocate(k, 64);
        scale = arena.allocate(4);
        sum = arena.allocate(4);
        y = arena.allocate(4L * m, 64);
        kernels.quantizeI8s(x, k, 1, q, scale, sum);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment gemv() {
        kernels.i2sGemm(w, q, scale, sum, 1, y, m, 0, m);
        return y;
    }
}
