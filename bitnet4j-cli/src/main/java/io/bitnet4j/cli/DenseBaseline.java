package io.bitnet4j.cli;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.TernaryWeights;
import io.bitnet4j.model.ModelConfig;
import io.bitnet4j.model.Parallel;
import io.bitnet4j.util.AnonymousMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * bench --dense-baseline: one layer's matrix products (Q, K, V, O, gate, up, down) at several token counts,
 * ternary through the model's kernels on a worker pool of the model's thread count, split by rows as a forward pass
 * splits them, against the same shapes as F32 matrices through OpenBLAS ({@code cblas_sgemv} at one token,
 * {@code cblas_sgemm} beyond, on as many OpenBLAS threads).
 *
 * <p>Each engine rotates over copies of its layer adding up to far more than the caches, so every pass streams its
 * weights from memory as decoding does. The weights are random (the time of either engine does not depend on the
 * values; dequantizing a real file to F32 would only cost time). The ternary passes include quantizing the
 * activations to int8 (one call per input, on the calling thread, as the forward pass does): that is work the
 * ternary route needs and the dense one does not.
 */
final class DenseBaseline implements AutoCloseable {

    /** One weight matrix of a layer: {@code rows} outputs of {@code cols} inputs. */
    record Shape(String name, int rows, int cols) {
        long weights() {
            return (long) rows * cols;
        }
    }

    /** The layer's matrices in the forward pass's order; they are multiplied in {@link #GROUPS}. */
    static List<Shape> layerShapes(ModelConfig c) {
        int d = c.dim(), kv = c.kvDim(), f = c.ffnDim();
        return List.of(new Shape("q", d, d), new Shape("k", kv, d), new Shape("v", kv, d), new Shape("o", d, d),
                new Shape("gate", f, d), new Shape("up", f, d), new Shape("down", d, f));
    }

    /** The matrices sharing one input, each group one quantization and one parallel region in the forward pass (Forward.bitLinear). */
    private static final int[][] GROUPS = {{0, 1, 2}, {3}, {4, 5}, {6}};

    /** The forward pass splits a region's rows in multiples of this. */
    private static final int ROW_GRAIN = 8;

    /** A repetition runs whole rotations over the copies for at least this long. */
    private static final long MIN_REPETITION_NANOS = 200_000_000L;

    /** Warm-up before the repetitions: at least the first, at most the second. */
    private static final long WARMUP_NANOS = 1_000_000_000L, MAX_WARMUP_NANOS = 30_000_000_000L;

    /** The measurement of one token count: nanoseconds per layer pass of each repetition, per engine. */
    record Result(int tokens, List<Long> ternaryNs, List<Long> denseNs) {}

    private final List<Shape> shapes;
    private final int threads, maxTokens;
    private final Arena arena = Arena.ofShared();
    private final Ternary ternary;
    private final Dense dense;

    /**
     * Allocates and fills both engines' copies: each engine's rotation is at least {@code rotationBytes} (and two
     * layers), so no pass finds its weights in a cache.
     */
    DenseBaseline(ModelConfig config, Kernels kernels, int threads, int maxTokens, long rotationBytes, Progress progress) {
        this.shapes = layerShapes(config);
        this.threads = threads;
        this.maxTokens = maxTokens;
        try {
            int maxCols = shapes.stream().mapToInt(Shape::cols).max().orElseThrow();
            MemorySegment x = arena.allocate(4L * maxTokens * maxCols, 64);
            var rnd = new SplittableRandom(42);
            for (long i = 0; i < (long) maxTokens * maxCols; i++) x.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(-3, 3));
            this.ternary = new Ternary(kernels, x, maxCols, rotationBytes, progress);
            this.dense = new Dense(x, rotationBytes, progress);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Every weight of one layer. */
    long layerWeights() {
        return shapes.stream().mapToLong(Shape::weights).sum();
    }

    long ternaryLayerBytes() {
        return ternary.layerBytes;
    }

    long denseLayerBytes() {
        return 4 * layerWeights();
    }

    long ternaryRotationBytes() {
        return ternary.layerBytes * ternary.copies.length;
    }

    long denseRotationBytes() {
        return denseLayerBytes() * dense.copies.length;
    }

    /** The ternary engine at every token count, then the dense one (so neither's idle threads spin while the other runs). */
    List<Result> measure(List<Integer> tokenCounts, int repetitions, Progress progress) {
        int steps = 2 * tokenCounts.size(), step = 0;
        List<List<Long>> ternaryNs = new ArrayList<>();
        for (int tokens : tokenCounts) {
            progress.progress("ternary, " + tokens + " token(s)", step++, steps);
            ternaryNs.add(measure(ternary.copies.length, c -> ternary.pass(c, tokens), repetitions));
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < tokenCounts.size(); i++) {
            int tokens = tokenCounts.get(i);
            progress.progress("dense, " + tokens + " token(s)", step++, steps);
            results.add(new Result(tokens, ternaryNs.get(i), measure(dense.copies.length, c -> dense.pass(c, tokens), repetitions)));
        }
        return results;
    }

    /** Nanoseconds per layer pass of each repetition (whole rotations for at least MIN_REPETITION_NANOS), after a warm-up. */
    private static List<Long> measure(int copies, IntConsumer pass, int repetitions) {
        warmUp(copies, pass);
        List<Long> samples = new ArrayList<>();
        for (int r = 0; r < repetitions; r++) {
            long start = System.nanoTime(), passes = rotate(copies, pass, MIN_REPETITION_NANOS);
            samples.add((System.nanoTime() - start) / passes);
        }
        return samples;
    }

    /**
     * Whole rotations for at least WARMUP_NANOS and until the JIT compiled nothing during the last one, at most
     * MAX_WARMUP_NANOS: the Java backends run hundreds of times slower until C2 has compiled their kernels, which on
     * a busy machine takes seconds.
     */
    private static void warmUp(int copies, IntConsumer pass) {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean watch = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        while (true) {
            long compileMillis = watch ? jit.getTotalCompilationTime() : 0;
            rotate(copies, pass, MIN_REPETITION_NANOS);
            long elapsed = System.nanoTime() - start;
            boolean settled = !watch || jit.getTotalCompilationTime() == compileMillis;
            if (elapsed >= WARMUP_NANOS && settled || elapsed >= MAX_WARMUP_NANOS) return;
        }
    }

    /** Whole rotations over the copies until at least {@code nanos} have passed; returns the passes run. */
    private static long rotate(int copies, IntConsumer pass, long nanos) {
        long passes = 0, start = System.nanoTime();
        do {
            for (int c = 0; c < copies; c++) pass.accept(c);
            passes += copies;
        } while (System.nanoTime() - start < nanos);
        return passes;
    }

    /** How many copies of a layer of {@code layerBytes} make a rotation of at least {@code rotationBytes} (and at least two). */
    static int copies(long layerBytes, long rotationBytes) {
        long n = Math.max(2, (rotationBytes + layerBytes - 1) / layerBytes);
        if (n > MAX_COPIES) throw new UsageException("a rotation of " + rotationBytes / (1 << 20) + " MiB is " + n
                + " copies of this model's layer, more than " + MAX_COPIES + ": give a smaller --dense-rotate-mib");
        return (int) n;
    }

    private static final int MAX_COPIES = 100_000;

    /** Memory for the copies: huge pages like the model's weights, every page touched with a repeated random block. */
    private MemorySegment weightMemory(long bytes, MemorySegment block) {
        MemorySegment s = AnonymousMemory.allocate(bytes, arena);
        for (long at = 0; at < bytes; at += block.byteSize())
            MemorySegment.copy(block, 0, s, at, Math.min(block.byteSize(), bytes - at));
        return s;
    }

    private static long align64(long n) {
        return (n + 63) & ~63L;
    }

    /** The ternary side: the model's kernels, prepared copies, a worker pool of the model's thread count. */
    private final class Ternary {
        final TernaryWeights[][] copies; // [copy][shape]
        final long layerBytes;
        private final Kernels kernels;
        private final Parallel pool;
        private final MemorySegment x, q8, actScale, actSum;
        private final MemorySegment[] y;
        private final Region region = new Region();

        Ternary(Kernels kernels, MemorySegment x, int maxCols, long rotationBytes, Progress progress) {
            this.kernels = kernels;
            this.x = x;
            long packed = 0;
            for (Shape s : shapes) packed += align64(TernaryMatrix.bytes(s.rows(), s.cols()));
            int n = copies(packed, rotationBytes);
            var rnd = new SplittableRandom(7);
            MemorySegment block = arena.allocate(1 << 20);
            for (long i = 0; i < block.byteSize(); i++) // four valid codes (0, 1, 2: -1, 0, +1) per byte
                block.set(JAVA_BYTE, i, (byte) (rnd.nextInt(3) | rnd.nextInt(3) << 2 | rnd.nextInt(3) << 4 | rnd.nextInt(3) << 6));
            progress.progress("ternary weights, " + n + " copies", 0, 1);
            MemorySegment memory = weightMemory(n * packed, block);
            copies = new TernaryWeights[n][shapes.size()];
            long at = 0, prepared = 0;
            for (int c = 0; c < n; c++)
                for (int i = 0; i < shapes.size(); i++) {
                    Shape s = shapes.get(i);
                    long bytes = TernaryMatrix.bytes(s.rows(), s.cols());
                    copies[c][i] = kernels.prepare(new TernaryMatrix(memory.asSlice(at, bytes), s.rows(), s.cols(), 0.8f), arena);
                    at += align64(bytes);
                    if (c == 0) prepared += copies[c][i].byteSize();
                }
            layerBytes = prepared; // in the kernel's layout (larger than I2_S for the lookup-table kernels)
            q8 = arena.allocate((long) maxTokens * maxCols, 64);
            actScale = arena.allocate(4L * maxTokens, 64);
            actSum = arena.allocate(4L * maxTokens, 64);
            y = new MemorySegment[shapes.size()];
            for (int i = 0; i < y.length; i++) y[i] = arena.allocate(4L * maxTokens * shapes.get(i).rows(), 64);
            pool = new Parallel(threads);
        }

        /** One layer: per group, quantize its input, then one parallel region over the group's concatenated rows. */
        void pass(int copy, int tokens) {
            for (int[] group : GROUPS) {
                kernels.quantizeI8s(x, shapes.get(group[0]).cols(), tokens, q8, actScale, actSum);
                region.set(copies[copy], group, tokens);
                pool.forRange(region.totalRows(), ROW_GRAIN, region);
            }
        }

        void close() {
            pool.close();
        }

        /** The row-split region of one group, reused (regions run one at a time). */
        private final class Region implements Parallel.RangeTask {
            private TernaryWeights[] w;
            private int[] group;
            private int tokens;

            void set(TernaryWeights[] w, int[] group, int tokens) {
                this.w = w;
                this.group = group;
                this.tokens = tokens;
            }

            int totalRows() {
                int rows = 0;
                for (int i : group) rows += w[i].rows();
                return rows;
            }

            @Override
            public void run(int begin, int end) {
                int base = 0;
                for (int i : group) {
                    int rows = w[i].rows(), b = Math.max(begin - base, 0), e = Math.min(end - base, rows);
                    if (b < e) kernels.ternaryGemm(w[i], q8, actScale, actSum, tokens, y[i], rows, b, e);
                    base += rows;
                }
            }
        }
    }

    /** The dense side: F32 copies of the layer multiplied by OpenBLAS. */
    private final class Dense {
        final FloatBuffer[][] copies; // [copy][shape]
        private final FloatBuffer x;
        private final FloatBuffer[] y;

        Dense(MemorySegment x, long rotationBytes, Progress progress) {
            this.x = floats(x);
            long layer = 0;
            for (Shape s : shapes) layer += align64(4 * s.weights());
            int n = copies(layer, rotationBytes);
            var rnd = new SplittableRandom(11);
            MemorySegment block = arena.allocate(1 << 20, 64);
            for (long i = 0; i < block.byteSize() / 4; i++) block.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
            progress.progress("F32 weights, " + n + " copies", 0, 1);
            MemorySegment memory = weightMemory(n * layer, block);
            copies = new FloatBuffer[n][shapes.size()];
            long at = 0;
            for (int c = 0; c < n; c++)
                for (int i = 0; i < shapes.size(); i++) {
                    long bytes = 4 * shapes.get(i).weights();
                    copies[c][i] = floats(memory.asSlice(at, bytes));
                    at += align64(bytes);
                }
            y = new FloatBuffer[shapes.size()];
            for (int i = 0; i < y.length; i++) y[i] = floats(arena.allocate(4L * maxTokens * shapes.get(i).rows(), 64));
        }

        /** One layer: y (T x M) = x (T x K) * W^T for every matrix; a GEMV at one token. */
        void pass(int copy, int tokens) {
            for (int i = 0; i < shapes.size(); i++) {
                int m = shapes.get(i).rows(), k = shapes.get(i).cols();
                FloatBuffer w = copies[copy][i];
                if (tokens == 1) openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1f, w, k, x, 1, 0f, y[i], 1);
                else openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, m, k, 1f, x, k, w, k, 0f, y[i], m);
            }
        }

        /** A direct buffer over the segment: JavaCPP passes its address, no copy. */
        private static FloatBuffer floats(MemorySegment s) {
            return s.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    @Override
    public void close() {
        if (ternary != null) ternary.close();
        arena.close();
    }

    /** Loads OpenBLAS (JavaCPP's bundled build): a clear error where it cannot load, never a stack trace. */
    static void loadOpenBlas() {
        try {
            Loader.load(openblas_nolapack.class);
        } catch (LinkageError | RuntimeException e) {
            throw new CliException("the dense baseline needs OpenBLAS (org.bytedeco:openblas for " + Loader.getPlatform()
                    + "), which did not load: " + e.getMessage());
        }
    }

    /** "OpenBLAS 0.3.31 (Zen kernels)": the loaded library's version and the kernels it chose for this CPU, as far as it says. */
    static String openBlasName() {
        String config = nativeString("openblas_get_config"), core = nativeString("openblas_get_corename");
        var version = java.util.regex.Pattern.compile("^OpenBLAS (\\S+)").matcher(config);
        return "OpenBLAS" + (version.find() ? " " + version.group(1) : "") + (core.isEmpty() ? "" : " (" + core + " kernels)");
    }

    /** The string a loaded native function without arguments returns, or "" where it is absent or cannot be called. */
    private static String nativeString(String function) {
        var symbol = SymbolLookup.loaderLookup().find(function); // the libraries JavaCPP loaded for this class loader
        if (symbol.isEmpty()) return "";
        try {
            var call = Linker.nativeLinker().downcallHandle(symbol.get(), FunctionDescriptor.of(ADDRESS));
            MemorySegment s = (MemorySegment) call.invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(1024).getString(0).strip();
        } catch (Throwable e) {
            return ""; // only a label is lost
        }
    }

    /** Sets OpenBLAS's thread count; returns the count it runs (its build may cap it). */
    static int openBlasThreads(int threads) {
        openblas_nolapack.blas_set_num_threads(threads);
        return openblas_nolapack.blas_get_num_threads();
    }

    /**
     * Why there is no BF16 row: OpenBLAS's BF16 GEMM is {@code cblas_sbgemm}, which the JavaCPP preset does not map;
     * the loaded library is asked whether it has the symbol at all (cblas_sgemm, found the same way, shows the lookup works).
     */
    static String bf16Note() {
        var lookup = SymbolLookup.loaderLookup();
        if (lookup.find("cblas_sgemm").isEmpty())
            return "BF16: not measured (org.bytedeco:openblas maps no cblas_sbgemm; the loaded library's symbols could not be listed)";
        return lookup.find("cblas_sbgemm").isPresent()
                ? "BF16: not measured: the loaded OpenBLAS exports cblas_sbgemm, but the org.bytedeco:openblas preset maps no call to it"
                : "BF16: not measured: the loaded OpenBLAS exports no cblas_sbgemm (nor does the org.bytedeco:openblas preset map one)";
    }
}
