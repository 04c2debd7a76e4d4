package io.bitnet4j.model;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.kernels.F16Matrix;
import io.bitnet4j.kernels.I8Matrix;
import io.bitnet4j.kernels.Q4Matrix;
import io.bitnet4j.kernels.JavaKernels;
import io.bitnet4j.kernels.LutMatrix;
import io.bitnet4j.kernels.NativeLut;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.VectorLut;
import io.bitnet4j.kernels.VectorLutMatrix;
import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.VectorKernels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded BitNet b1.58 model: the memory-mapped GGUF file, its validated weights, the kernel backend and
 * a worker pool. Immutable and thread-safe; share one Model between any number of {@link Session}s.
 * Closing it waits for running steps, then unmaps the file; sessions used afterwards fail clearly.
 */
public final class Model implements AutoCloseable {

    /**
     * How to run a model.
     *
     * @param threads        worker threads, 1..1024; 0 means one per available processor
     * @param backend        "native" (C++ kernels), "vector" (Java Vector API) or "java" (scalar reference)
     * @param isa            native ISA to force (e.g. "avx2"), or null for the best one
     * @param contextLength  default context of new sessions; 0 means the model's, capped at 4096
     * @param batchSize      tokens per forward pass during prefill (1..512)
     * @param checkWeights   scan every I2_S tensor for the invalid code 3 at load
     * @param exactNumerics  sum F16 dot products and the softmax in ggml's AVX2 order (bit-identical decode
     *                       logits with bitnet.cpp; slower output projection) instead of the fastest order
     * @param outputType     "f16": the tied output projection as stored; "i8" or "q4": an int8 or 4-bit copy with
     *                       a scale per row, made at load time, which reads 1/2 or 1/4 of the F16 bytes per
     *                       decoded token; the best {@link Forward#RESCORED} logits are then recomputed from
     *                       the F16 rows, so the greedy token stays the F16 path's
     * @param ternaryKernel  "auto", "i2s" (multiply-add on the stored layout), "tl2" or "tl1" (lookup tables
     *                       over a copy repacked at load time; native backend only), "vector-lut" (the lookup
     *                       tables on the Vector API backend). auto = i2s: on the CPUs measured the LUT kernels
     *                       were no faster (docs/kernels.md)
     */
    public record Options(int threads, String backend, String isa, int contextLength, int batchSize, boolean checkWeights,
            boolean exactNumerics, String outputType, String ternaryKernel, boolean mapFile) {
        public Options {
            if (threads < 0 || threads > 1024) throw new IllegalArgumentException("threads must be between 1 and 1024 (0 = all processors), got " + threads);
            if (backend == null) backend = "native";
            if (!java.util.Set.of("native", "vector", "java").contains(backend))
                throw new IllegalArgumentException("unknown backend '" + backend + "', expected native, vector or java");
            if (isa != null && !backend.equals("native")) throw new IllegalArgumentException("an ISA can only be chosen for the native backend");
            if (contextLength < 0) throw new IllegalArgumentException("context length must not be negative, got " + contextLength);
            if (batchSize < 1 || batchSize > 512) throw new IllegalArgumentException("batch size must be between 1 and 512, got " + batchSize);
            if (outputType == null) outputType = "f16";
            if (!java.util.Set.of("f16", "i8", "q4").contains(outputType))
                throw new IllegalArgumentException("unknown output type '" + outputType + "', expected f16, i8 or q4");
            if (ternaryKernel == null) ternaryKernel = "auto";
            if (!java.util.Set.of("auto", "i2s", "tl1", "tl2", "vector-lut").contains(ternaryKernel))
                throw new IllegalArgumentException("unknown ternary kernel '" + ternaryKernel + "', expected auto, i2s, tl2, tl1 or vector-lut");
            if (ternaryKernel.startsWith("tl") && !backend.equals("native"))
                throw new IllegalArgumentException("the lookup-table kernels " + ternaryKernel + " run on the native backend only");
            if (ternaryKernel.equals("vector-lut") && !backend.equals("vector"))
                throw new IllegalArgumentException("the vector-lut kernel runs on the vector backend only");
            if (exactNumerics && !outputType.equals("f16"))
                throw new IllegalArgumentException("exact numerics reproduce bitnet.cpp's F16 output projection: use output type f16");
        }

        public static Options defaults() {
            return new Options(0, "native", null, 0, 64, true, false, "f16", "auto", false);
        }

        public Options withThreads(int n) { return new Options(n, backend, isa, contextLength, batchSize, checkWeights, exactNumerics, outputType, ternaryKernel, mapFile); }
        public Options withBackend(String b) { return new Options(threads, b, isa, contextLength, batchSize, checkWeights, exactNumerics, outputType, ternaryKernel, mapFile); }
        public Options withIsa(String i) { return new Options(threads, backend, i, contextLength, batchSize, checkWeights, exactNumerics, outputType, ternaryKernel, mapFile); }
        public Options withContextLength(int n) { return new Options(threads, backend, isa, n, batchSize, checkWeights, exactNumerics, outputType, ternaryKernel, mapFile); }
        public Options withExactNumerics(boolean exact) { return new Options(threads, backend, isa, contextLength, batchSize, checkWeights, exact, outputType, ternaryKernel, mapFile); }
        public Options withOutputType(String t) { return new Options(threads, backend, isa, contextLength, batchSize, checkWeights, exactNumerics, t, ternaryKernel, mapFile); }
        public Options withTernaryKernel(String k) { return new Options(threads, backend, isa, contextLength, batchSize, checkWeights, exactNumerics, outputType, k, mapFile); }
        public Options withMapFile(boolean map) { return new Options(threads, backend, isa, contextLength, batchSize, checkWeights, exactNumerics, outputType, ternaryKernel, map); }
        public Options withBatchSize(int n) { return new Options(threads, backend, isa, contextLength, n, checkWeights, exactNumerics, outputType, ternaryKernel, mapFile); }
    }

    /** Receives load progress: a stage name and the fraction done in [0, 1]. */
    @FunctionalInterface
    public interface LoadListener {
        void progress(String stage, double fraction);

        LoadListener NONE = (s, f) -> {};
    }

    private final GgufFile gguf;
    private final ModelConfig config;
    private final Weights weights;
    private final Kernels kernels;
    private final Parallel parallel;
    private final Options options;
    private final java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared(); // load-time copies
    private I8Matrix outputI8; // the int8 output projection when options.outputType() is "i8"
    private Q4Matrix outputQ4; // the 4-bit one when it is "q4"
    /** Lookup-table copies of the ternary matrices when options.ternaryKernel() is tl1 or tl2, else empty. */
    private final java.util.IdentityHashMap<TernaryMatrix, LutMatrix> lut = new java.util.IdentityHashMap<>();
    /** Vector API lookup-table copies when options.ternaryKernel() is vector-lut, else empty. */
    private final java.util.IdentityHashMap<TernaryMatrix, VectorLutMatrix> vectorLut = new java.util.IdentityHashMap<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private Model(GgufFile gguf, ModelConfig config, Weights weights, Kernels kernels, Parallel parallel, Options options) {
        this.gguf = gguf;
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        this.parallel = parallel;
        this.options = options;
    }

    public static Model load(Path path) throws IOException {
        return load(path, Options.defaults(), LoadListener.NONE);
    }

    public static Model load(Path path, Options options) throws IOException {
        return load(path, options, LoadListener.NONE);
    }

    /** Reads (or maps) the file, validates metadata and every tensor, and starts the worker threads. */
    public static Model load(Path path, Options options, LoadListener listener) throws IOException {
        // Read into huge pages by default: decode streams every weight once per token, and 2 MiB pages made it
        // 8-16 % faster than the page cache's 4 KiB pages (docs/performance.md). Mapping saves the copy.
        GgufFile gguf = options.mapFile() ? GgufFile.open(path) : GgufFile.read(path, f -> listener.progress("reading", f));
        try {
            ModelConfig config = ModelConfig.fromGguf(gguf);
            // Every check on the file runs before the kernel backend is created: invalid data never reaches native code.
            io.bitnet4j.tokenizer.GgufTokenizer.validate(gguf, config.vocabSize());
            Weights weights = Weights.load(gguf, config, done -> listener.progress("tensors", (double) done / config.layers()));
            if (options.checkWeights()) checkAllCodes(weights, listener);
            Kernels kernels = kernels(options);
            int threads = options.threads() == 0 ? Runtime.getRuntime().availableProcessors() : options.threads();
            Model model = new Model(gguf, config, weights, kernels, new Parallel(threads), options);
            try {
                if (!options.outputType().equals("f16")) model.quantizeOutput(options.outputType(), listener);
                if (!options.ternaryKernel().equals("auto") && !options.ternaryKernel().equals("i2s"))
                    model.repackTernary(options.ternaryKernel(), listener);
            } catch (RuntimeException | Error e) {
                model.close();
                throw e;
            }
            return model;
        } catch (IOException | RuntimeException | Error e) {
            gguf.close();
            throw e;
        }
    }

    private static void checkAllCodes(Weights weights, LoadListener listener) throws GgufException {
        var tensors = Weights.ternaryTensors(weights);
        for (int i = 0; i < tensors.size(); i++) {
            Weights.checkCodes(tensors.get(i).getKey(), tensors.get(i).getValue());
            listener.progress("checking weights", (double) (i + 1) / tensors.size());
        }
    }

    /** Builds the int8 or 4-bit output projection from the F16 table, rows split across the worker threads. */
    private void quantizeOutput(String type, LoadListener listener) {
        F16Matrix table = weights.embedding();
        boolean native_ = kernels instanceof NativeBackend;
        I8Matrix i8 = type.equals("i8") ? I8Matrix.allocate(arena, table.rows(), table.cols()) : null;
        Q4Matrix q4 = type.equals("q4") ? Q4Matrix.allocate(arena, table.rows(), table.cols()) : null;
        int chunk = 4096;
        for (int from = 0; from < table.rows(); from += chunk) {
            int to = Math.min(table.rows(), from + chunk), base = from;
            parallel.forRange(to - from, 1, (b, e) -> {
                if (i8 != null && native_) NativeBackend.quantizeI8Rows(table, i8, base + b, base + e);
                else if (i8 != null) I8Matrix.quantizeRows(table, i8, base + b, base + e);
                else if (native_) NativeBackend.quantizeQ4Rows(table, q4, base + b, base + e);
                else Q4Matrix.quantizeRows(table, q4, base + b, base + e);
            });
            listener.progress(type.equals("i8") ? "int8 output projection" : "4-bit output projection", (double) to / table.rows());
        }
        outputI8 = i8;
        outputQ4 = q4;
    }

    /** Repacks every ternary matrix for the lookup-table kernels, one matrix per worker at a time. */
    private void repackTernary(String layout, LoadListener listener) {
        var tensors = Weights.ternaryTensors(weights);
        Record[] packed = new Record[tensors.size()];
        int step = parallel.threads();
        for (int from = 0; from < tensors.size(); from += step) {
            int base = from;
            parallel.forRange(Math.min(step, tensors.size() - from), 1, (b, e) -> {
                for (int i = base + b; i < base + e; i++) packed[i] = repack(tensors.get(i).getValue(), layout);
            });
            listener.progress("repacking for " + layout, (double) Math.min(tensors.size(), from + step) / tensors.size());
        }
        for (int i = 0; i < packed.length; i++) {
            if (packed[i] instanceof LutMatrix m) lut.put(tensors.get(i).getValue(), m);
            else vectorLut.put(tensors.get(i).getValue(), (VectorLutMatrix) packed[i]);
        }
    }

    private Record repack(TernaryMatrix w, String layout) {
        return layout.equals("vector-lut") ? VectorLut.pack(w, arena) : NativeLut.pack(w, layout, arena);
    }

    /** The Vector API lookup-table copy of a ternary matrix, or null. */
    VectorLutMatrix vectorLut(TernaryMatrix w) {
        return vectorLut.isEmpty() ? null : vectorLut.get(w);
    }

    /** The lookup-table copy of a ternary matrix, or null when the I2_S kernels run. */
    LutMatrix lut(TernaryMatrix w) {
        return lut.isEmpty() ? null : lut.get(w);
    }

    /** The int8 output projection, or null. */
    I8Matrix outputI8() {
        return outputI8;
    }

    /** The 4-bit output projection, or null. */
    Q4Matrix outputQ4() {
        return outputQ4;
    }

    static Kernels kernels(Options o) {
        return switch (o.backend()) {
            case "native" -> o.isa() == null ? new NativeBackend() : NativeBackend.select(o.isa());
            case "vector" -> new VectorKernels();
            case "java" -> new JavaKernels();
            default -> throw new IllegalArgumentException("unknown backend " + o.backend());
        };
    }

    public ModelConfig config() {
        return config;
    }

    public Kernels kernels() {
        return kernels;
    }

    public int threads() {
        return parallel.threads();
    }

    public Options options() {
        return options;
    }

    /** The GGUF file behind the model (metadata, tensor table); valid until the model is closed. */
    public GgufFile gguf() {
        ensureOpen();
        return gguf;
    }

    Weights weights() {
        return weights;
    }

    Parallel parallel() {
        return parallel;
    }

    /** Weight bytes one decode step reads: every ternary matrix and the output projection. */
    public long weightBytesPerToken() {
        long bytes = outputI8 != null ? outputI8.data().byteSize() + outputI8.scales().byteSize()
                : outputQ4 != null ? outputQ4.data().byteSize() + outputQ4.scales().byteSize()
                : weights.embedding().data().byteSize();
        for (var t : Weights.ternaryTensors(weights)) bytes += t.getValue().data().byteSize();
        return bytes;
    }

    /** A new session with the default context length. */
    public Session newSession() {
        return newSession(options.contextLength() == 0 ? Math.min(config.contextLength(), 4096) : options.contextLength());
    }

    /** A new session holding its own KV cache of {@code contextLength} positions. */
    public Session newSession(int contextLength) {
        ensureOpen();
        return new Session(this, contextLength, options.batchSize());
    }

    /** A decoder that steps up to {@code capacity} sessions of this model together (continuous batching). */
    public BatchDecoder newBatchDecoder(int capacity) {
        ensureOpen();
        return new BatchDecoder(this, capacity);
    }

    /** Holds the model open for a step (closing waits); pair with {@link #release()}. */
    void acquire() {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new IllegalStateException("model closed");
        }
    }

    void release() {
        lifecycle.readLock().unlock();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("model closed");
    }

    /** Summary for reports: architecture, shape, backend, threads. */
    public Map<String, String> describe() {
        var m = new java.util.LinkedHashMap<String, String>();
        m.put("file", gguf.path().toString());
        m.put("architecture", config.arch());
        m.put("shape", config.layers() + " layers, dim " + config.dim() + ", heads " + config.heads() + "/" + config.kvHeads()
                + ", ffn " + config.ffnDim() + ", vocab " + config.vocabSize() + ", context " + config.contextLength());
        String ternary = !vectorLut.isEmpty() ? "vector-lut" : lut.isEmpty() ? "i2s" : options.ternaryKernel()
                + (NativeLut.supported(options.ternaryKernel()) ? "" : " (scalar: no SIMD kernel for it on this CPU)");
        m.put("kernels", kernels.describe() + ", ternary " + ternary);
        m.put("threads", Integer.toString(parallel.threads()));
        m.put("numerics", options.exactNumerics() ? "exact (ggml AVX2 summation order)" : "fast");
        m.put("output projection", outputI8 != null ? "int8, a scale per row (made at load), top " + Forward.RESCORED + " rescored in F16"
                : outputQ4 != null ? "4-bit, a scale per row (made at load), top " + Forward.RESCORED + " rescored in F16" : "F16 (as stored)");
        return m;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            parallel.close();
            gguf.close();
            arena.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
