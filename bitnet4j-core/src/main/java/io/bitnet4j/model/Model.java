package io.bitnet4j.model;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.kernels.F16Matrix;
import io.bitnet4j.kernels.I8Matrix;
import io.bitnet4j.kernels.JavaKernels;
import io.bitnet4j.kernels.Kernels;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.Q4Matrix;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.TernaryWeights;
import io.bitnet4j.kernels.VectorKernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded BitNet b1.58 model: the GGUF file (read into memory or mapped), its validated weights in the layout of
 * the chosen ternary kernel, the kernel backend and a worker pool. Thread-safe: share one Model between any
 * number of {@link Session}s. Closing it waits for running steps, then frees the weights; sessions used afterwards
 * fail clearly. Text in and out (tokenizer, sampling, stop strings) is the generation layer's
 * ({@code io.bitnet4j.generation}).
 */
public final class Model implements AutoCloseable {

    /**
     * How to run a model; build with {@link #builder()}, start from {@link #defaults()}.
     *
     * @param threads        worker threads, 1..1024; 0 means one per available processor
     * @param backend        which kernels run (default {@link Backend#AUTO}: native where its library loads)
     * @param isa            native ISA to force, or {@link Isa#BEST}
     * @param contextLength  default context of new sessions; 0 means the model's, capped at 4096
     * @param batchSize      tokens per forward pass during prefill (1..512)
     * @param checkWeights   scan every I2_S tensor for the invalid code 3 at load
     * @param numerics       {@link Numerics#FAST}, or {@link Numerics#EXACT}: ggml's summation order (bit-identical
     *                       decode logits with bitnet.cpp, slower output projection)
     * @param outputType     the output projection as stored ({@link OutputType#F16}) or an int8 / 4-bit copy made at
     *                       load; the best {@link Forward#RESCORED} logits are then recomputed from the F16 rows, so
     *                       the greedy token stays the F16 path's
     * @param ternaryKernel  multiply-add on I2_S, or a lookup-table kernel over a copy repacked at load
     * @param mapFile        map the file instead of reading it into (huge-page) memory
     * @param cacheType      how sessions store K and V: {@link CacheType#F16} (bitnet.cpp's numerics) or 8-bit
     * @param lowMemory      keep the F16 embedding / output table in the file: its rows are read on demand (the
     *                       embedding row of each token, the best rows to rescore), the vocabulary is ranked with the
     *                       quantized copy (output type q4 unless i8 is asked for); greedy output stays the F16 path's
     * @param outputCache    keep the quantized output copy in a checked cache file beside the model
     *                       ({@code <model>.<type>.b4j-output}) instead of quantizing at every load
     * @param attentionKernel what computes attention with fast numerics: {@link AttentionKernel#AUTO} (OpenBLAS
     *                       sgemm for long prompt batches where {@code org.bytedeco:openblas} loads, else Java),
     *                       JAVA, or OPENBLAS for every call (refused where it cannot load, and with exact numerics)
     */
    public record Options(int threads, Backend backend, Isa isa, int contextLength, int batchSize, boolean checkWeights,
            Numerics numerics, OutputType outputType, TernaryKernel ternaryKernel, boolean mapFile, CacheType cacheType,
            boolean lowMemory, boolean outputCache, AttentionKernel attentionKernel) {
        public Options {
            java.util.Objects.requireNonNull(cacheType, "cacheType");
            java.util.Objects.requireNonNull(backend, "backend");
            java.util.Objects.requireNonNull(isa, "isa");
            java.util.Objects.requireNonNull(numerics, "numerics");
            java.util.Objects.requireNonNull(outputType, "outputType");
            java.util.Objects.requireNonNull(ternaryKernel, "ternaryKernel");
            java.util.Objects.requireNonNull(attentionKernel, "attentionKernel");
            if (threads < 0 || threads > 1024) throw new IllegalArgumentException("threads must be between 1 and 1024 (0 = all processors), got " + threads);
            if (contextLength < 0) throw new IllegalArgumentException("context length must not be negative, got " + contextLength);
            if (batchSize < 1 || batchSize > 512) throw new IllegalArgumentException("batch size must be between 1 and 512, got " + batchSize);
            if (isa != Isa.BEST && !runsNative(backend))
                throw new IllegalArgumentException("an ISA (" + isa.id() + ") can only be forced on the native backend, not " + backend.id());
            if ((ternaryKernel == TernaryKernel.TL1 || ternaryKernel == TernaryKernel.TL2) && !runsNative(backend))
                throw new IllegalArgumentException("the lookup-table kernel " + ternaryKernel.id() + " runs on the native backend only, not " + backend.id());
            if (ternaryKernel == TernaryKernel.VECTOR_LUT && backend != Backend.VECTOR && backend != Backend.AUTO)
                throw new IllegalArgumentException("the vector-lut kernel runs on the vector backend only, not " + backend.id());
            if (ternaryKernel == TernaryKernel.VECTOR_LUT && isa != Isa.BEST)
                throw new IllegalArgumentException("the vector-lut kernel runs on the vector backend: no ISA can be forced");
            if (isa != Isa.BEST && ternaryKernel == TernaryKernel.TL2 && isa != Isa.SCALAR && isa != Isa.AVX2)
                throw new IllegalArgumentException("the tl2 kernel has no " + isa.id() + " version (it runs on scalar and avx2)");
            if (isa != Isa.BEST && ternaryKernel == TernaryKernel.TL1 && isa != Isa.SCALAR && isa != Isa.NEON && isa != Isa.NEON_DOTPROD)
                throw new IllegalArgumentException("the tl1 kernel has no " + isa.id() + " version (it runs on scalar, neon and neon-dotprod)");
            if (lowMemory && numerics == Numerics.EXACT)
                throw new IllegalArgumentException("exact numerics need the F16 output projection in memory: not with low memory");
            if (lowMemory && outputType == OutputType.F16)
                throw new IllegalArgumentException("low memory ranks the vocabulary with a quantized copy of the output projection: "
                        + "use output type q4 or i8, not f16");
            if (outputCache && outputType == OutputType.F16)
                throw new IllegalArgumentException("the output cache holds the quantized output copy: use output type q4 or i8, not f16");
            if (numerics == Numerics.EXACT && outputType != OutputType.F16)
                throw new IllegalArgumentException("exact numerics reproduce bitnet.cpp's F16 output projection: use output type f16, not " + outputType.id());
            requireCacheFits(numerics, cacheType);
            if (attentionKernel == AttentionKernel.OPENBLAS && numerics == Numerics.EXACT)
                throw new IllegalArgumentException("exact numerics sum attention in ggml's order, in Java: the openblas attention kernel runs with fast numerics only");
            if (attentionKernel == AttentionKernel.OPENBLAS && BlasAttention.unavailableReason() != null)
                throw new UnsupportedOperationException("the openblas attention kernel cannot run here: " + BlasAttention.unavailableReason());
        }

        private static boolean runsNative(Backend b) {
            return b == Backend.NATIVE || b == Backend.AUTO;
        }

        /** Native kernels where they load, all processors, the model's context up to 4096, 64-token prefill batches. */
        public static Options defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these options, to change some of them. */
        public Builder toBuilder() {
            return new Builder().threads(threads).backend(backend).isa(isa).contextLength(contextLength).batchSize(batchSize)
                    .checkWeights(checkWeights).numerics(numerics).outputType(outputType).ternaryKernel(ternaryKernel).mapFile(mapFile).cacheType(cacheType)
                    .lowMemory(lowMemory).outputCache(outputCache).attentionKernel(attentionKernel);
        }

        /** Collects options; {@link #build()} checks them together and names what does not fit. */
        public static final class Builder {
            private int threads, contextLength, batchSize = 64;
            private Backend backend = Backend.AUTO;
            private Isa isa = Isa.BEST;
            private boolean checkWeights = true, mapFile, lowMemory, outputCache;
            private Numerics numerics = Numerics.FAST;
            private OutputType outputType; // null: f16, or q4 with low memory
            private TernaryKernel ternaryKernel = TernaryKernel.AUTO;
            private CacheType cacheType = CacheType.F16;
            private AttentionKernel attentionKernel = AttentionKernel.AUTO;

            private Builder() {}

            public Builder threads(int n) { threads = n; return this; }
            public Builder backend(Backend b) { backend = b; return this; }
            public Builder isa(Isa i) { isa = i; return this; }
            public Builder contextLength(int n) { contextLength = n; return this; }
            public Builder batchSize(int n) { batchSize = n; return this; }
            public Builder checkWeights(boolean check) { checkWeights = check; return this; }
            public Builder numerics(Numerics n) { numerics = n; return this; }
            /** null: the default, f16, or q4 with low memory. */
            public Builder outputType(OutputType t) { outputType = t; return this; }
            public Builder ternaryKernel(TernaryKernel k) { ternaryKernel = k; return this; }
            public Builder mapFile(boolean map) { mapFile = map; return this; }
            public Builder cacheType(CacheType t) { cacheType = t; return this; }
            public Builder lowMemory(boolean low) { lowMemory = low; return this; }
            public Builder outputCache(boolean cache) { outputCache = cache; return this; }
            public Builder attentionKernel(AttentionKernel k) { attentionKernel = k; return this; }

            /**
             * The options; IllegalArgumentException names a value out of range or a combination that cannot run,
             * UnsupportedOperationException says why OpenBLAS cannot load when the openblas attention kernel is asked for.
             */
            public Options build() {
                return new Options(threads, backend, isa, contextLength, batchSize, checkWeights, numerics,
                        outputType != null ? outputType : lowMemory ? OutputType.Q4 : OutputType.F16, ternaryKernel, mapFile, cacheType,
                        lowMemory, outputCache, attentionKernel);
            }
        }
    }

    private static final System.Logger LOG = System.getLogger("io.bitnet4j");
    private static final java.util.concurrent.atomic.AtomicBoolean BACKEND_LOGGED = new java.util.concurrent.atomic.AtomicBoolean();

    private final GgufFile gguf;
    private final ModelConfig config;
    private final Weights weights; // the ternary matrices in the layout the backend's ternary kernel reads
    private final Kernels kernels;
    private final Parallel parallel;
    private final Options options;
    private final AttentionKernel attentionKernel; // options' choice resolved: AUTO only where OpenBLAS runs past the crossover
    private final Arena arena; // load-time copies: repacked ternary weights, quantized output projection
    private final I8Matrix outputI8; // the int8 output projection when options.outputType() is I8, else null
    private final Q4Matrix outputQ4; // the 4-bit one when it is Q4, else null
    private final String outputSource; // how the quantized copy was obtained (made at load, read from the cache)
    private final F16Rows embeddingRows, outputRows; // the F16 rows, from memory or (low memory) from the file
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** KV cache bytes of this model's sessions (each cache adds and removes its blocks). */
    final java.util.concurrent.atomic.AtomicLong kvBytes = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closed;

    private Model(GgufFile gguf, ModelConfig config, Weights weights, Kernels kernels, Parallel parallel, Options options,
            Arena arena, OutputCopy.Made copy, F16Rows embeddingRows, F16Rows outputRows) {
        this.gguf = gguf;
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        this.parallel = parallel;
        this.options = options;
        this.attentionKernel = attentionKernel(options);
        this.arena = arena;
        this.outputI8 = copy == null ? null : copy.i8();
        this.outputQ4 = copy == null ? null : copy.q4();
        this.outputSource = copy == null ? null : copy.source();
        this.embeddingRows = embeddingRows;
        this.outputRows = outputRows;
    }

    public static Model load(Path path) throws IOException {
        return load(path, Options.defaults(), ProgressListener.NONE);
    }

    public static Model load(Path path, Options options) throws IOException {
        return load(path, options, ProgressListener.NONE);
    }

    /**
     * Reads (or maps) the file, validates metadata and every tensor, prepares the weights for the chosen kernels
     * and starts the worker threads. Every check on the file runs before native code sees any of it.
     */
    public static Model load(Path path, Options options, ProgressListener progress) throws IOException {
        java.util.Objects.requireNonNull(options, "options");
        java.util.Objects.requireNonNull(progress, "progress");
        // Read into huge pages by default: decode streams every weight once per token, and 2 MiB pages made it
        // 8-16 % faster than the page cache's 4 KiB pages (docs/performance.md). Mapping saves the copy.
        // Low memory leaves the F16 tables in the file: their pages are never read into memory or mapped in.
        var inFile = options.lowMemory() ? java.util.Set.of(EMBEDDING, OUTPUT) : java.util.Set.<String>of();
        GgufFile gguf = options.mapFile() ? GgufFile.open(path, inFile) : GgufFile.read(path, progress, inFile);
        Arena arena = Arena.ofShared();
        Parallel parallel = null;
        F16Rows embeddingRows = null, outputRows = null;
        try {
            ModelConfig config = ModelConfig.fromGguf(gguf);
            Weights stored = Weights.load(gguf, config, progress);
            if (options.checkWeights()) checkAllCodes(stored, progress);
            // The backend only after every check on the file: invalid data never reaches native code.
            Kernels kernels = kernels(options);
            int threads = options.threads() == 0 ? Runtime.getRuntime().availableProcessors() : options.threads();
            parallel = new Parallel(threads);
            Weights weights = prepareTernary(stored, kernels, arena, parallel, progress);
            embeddingRows = rows(gguf, EMBEDDING, stored.embedding(), config);
            boolean tied = gguf.findTensor(OUTPUT).isEmpty();
            outputRows = tied ? embeddingRows : rows(gguf, OUTPUT, stored.output(), config);
            OutputCopy.Made copy = options.outputType() == OutputType.F16 ? null
                    : OutputCopy.make(options.outputType(), outputRows, path, gguf.tensor(tied ? EMBEDDING : OUTPUT).dataOffset(),
                            options.outputCache(), kernels instanceof NativeBackend, arena, parallel, progress);
            return new Model(gguf, config, weights, kernels, parallel, options, arena, copy, embeddingRows, outputRows);
        } catch (IOException | RuntimeException | Error e) {
            if (outputRows != null && outputRows != embeddingRows) outputRows.close();
            if (embeddingRows != null) embeddingRows.close();
            if (parallel != null) parallel.close();
            arena.close();
            gguf.close();
            throw e;
        }
    }

    private static void checkAllCodes(Weights weights, ProgressListener progress) throws GgufException {
        var tensors = Weights.ternaryTensors(weights);
        for (int i = 0; i < tensors.size(); i++) {
            Weights.checkCodes(tensors.get(i).getKey(), (TernaryMatrix) tensors.get(i).getValue());
            progress.progress("checking weights", i + 1, tensors.size());
        }
    }

    /** The ternary matrices in the backend's layout: the same ones for I2_S, one repack per worker at a time otherwise. */
    private static Weights prepareTernary(Weights stored, Kernels kernels, Arena arena, Parallel parallel, ProgressListener progress) {
        var tensors = Weights.ternaryTensors(stored);
        TernaryWeights[] prepared = new TernaryWeights[tensors.size()];
        if (kernels.ternaryKernel().equals("i2s")) {
            for (int i = 0; i < prepared.length; i++) prepared[i] = tensors.get(i).getValue();
            return stored.withTernary(java.util.List.of(prepared));
        }
        int step = parallel.threads();
        for (int from = 0; from < prepared.length; from += step) {
            int base = from;
            parallel.forRange(Math.min(step, prepared.length - from), 1, (b, e) -> {
                for (int i = base + b; i < base + e; i++) prepared[i] = kernels.prepare((TernaryMatrix) tensors.get(i).getValue(), arena);
            });
            progress.progress("repacking for " + kernels.ternaryKernel(), Math.min(prepared.length, from + step), prepared.length);
        }
        return stored.withTernary(java.util.List.of(prepared));
    }

    static final String EMBEDDING = "token_embd.weight", OUTPUT = "output.weight";

    /** The rows of an F16 table: from memory where it was loaded, else read from the file on demand. */
    private static F16Rows rows(GgufFile gguf, String name, F16Matrix loaded, ModelConfig c) throws IOException {
        if (loaded != null) return F16Rows.of(loaded);
        return F16Rows.of(new io.bitnet4j.gguf.TensorRows(gguf, gguf.tensor(name), c.vocabSize(), 2L * c.dim()), c.dim());
    }

    /** The embedding rows (in memory or read from the file). */
    F16Rows embeddingRows() {
        return embeddingRows;
    }

    /** The output projection's F16 rows (in memory or read from the file). */
    F16Rows outputRows() {
        return outputRows;
    }

    /** The int8 output projection, or null. */
    I8Matrix outputI8() {
        return outputI8;
    }

    /** The 4-bit output projection, or null. */
    Q4Matrix outputQ4() {
        return outputQ4;
    }

    /**
     * The backend the options ask for; AUTO takes native where its library loads, else the Vector API. {@link #load}
     * chooses with it; public for tools that time the same kernels outside a forward pass (bench's dense baseline),
     * although the kernels package itself is internal.
     */
    public static Kernels kernels(Options o) {
        Backend backend = o.backend();
        if (backend == Backend.AUTO) backend = autoBackend(o);
        String isa = o.isa() == Isa.BEST ? null : o.isa().id();
        return switch (backend) {
            case NATIVE -> switch (o.ternaryKernel()) {
                case AUTO, I2S -> isa == null ? new NativeBackend() : NativeBackend.select(isa);
                case TL1, TL2 -> NativeBackend.create(isa, o.ternaryKernel().id());
                case VECTOR_LUT -> throw new IllegalArgumentException("the vector-lut kernel runs on the vector backend only");
            };
            case VECTOR -> new VectorKernels(o.ternaryKernel() == TernaryKernel.VECTOR_LUT);
            case JAVA -> {
                if (o.ternaryKernel() != TernaryKernel.AUTO && o.ternaryKernel() != TernaryKernel.I2S)
                    throw new IllegalArgumentException("the java backend runs the i2s kernel only, not " + o.ternaryKernel().id());
                yield new JavaKernels();
            }
            case AUTO -> throw new AssertionError("resolved above");
        };
    }

    /** Native unless its library is missing here (or the options need the vector backend); says which once per JVM. */
    private static Backend autoBackend(Options o) {
        if (o.ternaryKernel() == TernaryKernel.VECTOR_LUT) return Backend.VECTOR;
        String unavailable = NativeBackend.unavailableReason();
        boolean needsNative = o.isa() != Isa.BEST || o.ternaryKernel() == TernaryKernel.TL1 || o.ternaryKernel() == TernaryKernel.TL2;
        if (unavailable == null || needsNative) {
            if (BACKEND_LOGGED.compareAndSet(false, true))
                LOG.log(System.Logger.Level.DEBUG, "bitnet4j: native kernels");
            return Backend.NATIVE; // a forced ISA or LUT kernel without the library fails with the reason
        }
        if (BACKEND_LOGGED.compareAndSet(false, true))
            LOG.log(System.Logger.Level.INFO, "bitnet4j: using the Vector API backend (slower): " + unavailable);
        return Backend.VECTOR;
    }

    /**
     * The attention kernel the options resolve to: OPENBLAS as asked; AUTO stays AUTO (OpenBLAS past the crossover)
     * where OpenBLAS loads and numerics are fast, else is JAVA, as JAVA is.
     */
    static AttentionKernel attentionKernel(Options o) {
        return switch (o.attentionKernel()) {
            case JAVA, OPENBLAS -> o.attentionKernel(); // OPENBLAS: the options checked that it loads
            case AUTO -> o.numerics() == Numerics.FAST && BlasAttention.unavailableReason() == null ? AttentionKernel.AUTO : AttentionKernel.JAVA;
        };
    }

    /** What computes this model's attention: {@link #attentionKernel(Options)} of its options. */
    public AttentionKernel attentionKernel() {
        return attentionKernel;
    }

    /** Which attention route runs and, when AUTO fell back to Java, why: printed by info and bench. */
    public String attentionDescription() {
        return attentionDescription(options);
    }

    static String attentionDescription(Options o) {
        String blas = "OpenBLAS sgemm" + (BlasAttention.version().isEmpty() ? "" : " " + BlasAttention.version());
        return switch (attentionKernel(o)) {
            case OPENBLAS -> blas + " for every call";
            case AUTO -> blas + " for batches of " + BlasAttention.MIN_TOKENS + "+ tokens over " + BlasAttention.MIN_POSITIONS
                    + "+ positions, else java";
            case JAVA -> o.numerics() == Numerics.EXACT ? "java (exact numerics: ggml's order)"
                    : o.attentionKernel() == AttentionKernel.JAVA ? "java" : "java (OpenBLAS off: " + BlasAttention.unavailableReason() + ")";
        };
    }

    public ModelConfig config() {
        return config;
    }

    Kernels kernels() {
        return kernels;
    }

    /** What runs the matrix work, e.g. "native avx512-vnni, ternary i2s": printed so that a slow path is never silent. */
    public String kernelsDescription() {
        return kernels.describe() + ", ternary " + kernels.ternaryKernel();
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

    /**
     * Nanoseconds one empty parallel region takes on this model's threads (the median of {@code samples}): the
     * hand-off to the workers and back that each region of a pass pays beyond its work.
     */
    public long measureEmptyRegionNanos(int samples) {
        if (samples < 1 || samples > 1_000_000) throw new IllegalArgumentException("samples must be between 1 and 1000000, got " + samples);
        ensureOpen();
        long[] nanos = new long[samples];
        Parallel.RangeTask nothing = (b, e) -> {};
        for (int i = 0; i < samples; i++) {
            long start = System.nanoTime();
            parallel.forRange(parallel.threads(), 1, nothing);
            nanos[i] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(nanos);
        return nanos[samples / 2];
    }

    /**
     * The int8 compute ceiling of this model's kernels on its threads, in multiply-accumulates per second: every
     * worker runs the ISA's register-only MAC loop (the instruction the ternary GEMM is built from) at once for
     * about {@code millis} ms, and their rates add up. {@link #ternaryMacsPerToken()} divided by it is the fastest
     * prefill or batched decode the ternary products allow. 0 when the backend has no such loop (the Java backends,
     * lookup-table kernels).
     */
    public double measureInt8MacsPerSecond(int millis) {
        if (millis < 1 || millis > 60_000) throw new IllegalArgumentException("millis must be between 1 and 60000, got " + millis);
        ensureOpen();
        final long probeRounds = 1 << 14;
        long probeStart = System.nanoTime();
        long probeMacs = kernels.int8MacLoop(probeRounds);
        if (probeMacs <= 0) return 0;
        double roundsPerNano = (double) probeRounds / Math.max(1, System.nanoTime() - probeStart);
        long rounds = Math.clamp((long) (roundsPerNano * millis * 1e6), 1L, NativeBackend.MAX_MAC_ROUNDS);
        double[] rates = new double[parallel.threads()];
        parallel.forEachSlice((slice, slices) -> {
            long start = System.nanoTime();
            long macs = kernels.int8MacLoop(rounds);
            rates[slice] = macs / ((System.nanoTime() - start) * 1e-9);
        });
        double total = 0;
        for (double r : rates) total += r;
        return total;
    }

    /** Int8 multiply-accumulates of one token through the ternary matrices: rows times columns of each. */
    public long ternaryMacsPerToken() {
        long macs = 0;
        for (var t : Weights.ternaryTensors(weights)) macs += (long) t.getValue().rows() * t.getValue().cols();
        return macs;
    }

    /** Weight bytes one decode step reads: every ternary matrix and the output projection. */
    public long weightBytesPerToken() {
        long bytes = outputBytes();
        for (var t : Weights.ternaryTensors(weights)) bytes += t.getValue().byteSize();
        return bytes;
    }

    /** KV cache bytes one decode step reads per position of its context (K and V of every layer, in the cache type in use). */
    public long kvBytesPerPosition() {
        return KvCache.bytes(config, 1, options.cacheType());
    }

    /** Bytes the output projection in use reads per token: the F16 table, or its int8 or 4-bit copy. */
    long outputBytes() {
        return outputI8 != null ? outputI8.data().byteSize() + outputI8.scales().byteSize()
                : outputQ4 != null ? outputQ4.data().byteSize() + outputQ4.scales().byteSize()
                : weights.output().data().byteSize();
    }

    /**
     * Where the process's memory goes now: the model's weights, F16 table, output copy, its sessions' KV caches, the
     * JVM heap and the rest of the resident set ({@link ResidentMemory}; resident sizes from /proc on Linux).
     */
    public ResidentMemory memory() {
        ensureOpen();
        long table = 0, tensors = 0; // loaded tensor bytes (the header's metadata lives in the heap, parsed)
        for (var t : gguf.tensors()) {
            if (!gguf.loaded(t)) continue;
            if (t.name().equals(EMBEDDING) || t.name().equals(OUTPUT)) table += t.byteSize();
            else tensors += t.byteSize();
        }
        long repacked = 0;
        if (!kernels.ternaryKernel().equals("i2s")) for (var t : Weights.ternaryTensors(weights)) repacked += t.getValue().byteSize();
        long weightBytes = tensors + repacked;
        long copy = outputI8 != null || outputQ4 != null ? outputBytes() : 0;
        long kv = kvBytes.get();
        // used, not committed: the JVM commits its initial heap (1/64 of the RAM) up front, but untouched pages are not resident
        long heap = Math.max(0, java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() - kv);
        long resident = io.bitnet4j.util.ProcessMemory.resident(), peak = io.bitnet4j.util.ProcessMemory.peakResident();
        long other = resident < 0 ? -1 : Math.max(0, resident - weightBytes - table - copy - kv - heap);
        return new ResidentMemory(weightBytes, table, copy, kv, heap, other, resident, peak);
    }

    /** A new session with the default context length. */
    public Session newSession() {
        return newSession(options.contextLength() == 0 ? Math.min(config.contextLength(), 4096) : options.contextLength());
    }

    /** A new session holding its own KV cache of {@code contextLength} positions, of the options' cache type. */
    public Session newSession(int contextLength) {
        return newSession(contextLength, options.cacheType());
    }

    /** A new session whose KV cache (up to {@code contextLength} positions) stores K and V as {@code cacheType}. */
    public Session newSession(int contextLength, CacheType cacheType) {
        ensureOpen();
        java.util.Objects.requireNonNull(cacheType, "cacheType");
        requireCacheFits(options.numerics(), cacheType);
        return new Session(this, contextLength, options.batchSize(), cacheType);
    }

    /** Exact numerics reproduce bitnet.cpp's F16 KV cache: the options and each session's own cache type are checked here. */
    private static void requireCacheFits(Numerics numerics, CacheType cacheType) {
        if (numerics == Numerics.EXACT && cacheType != CacheType.F16)
            throw new IllegalArgumentException("exact numerics reproduce bitnet.cpp's F16 KV cache: use cache type f16, not " + cacheType.id());
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

    /** Summary for reports: architecture, shape, backend, kernels, threads. */
    public Map<String, String> describe() {
        var m = new java.util.LinkedHashMap<String, String>();
        m.put("file", gguf.path().toString());
        m.put("architecture", config.arch().name() + ": " + config.arch().family());
        m.put("shape", config.layers() + " layers, dim " + config.dim() + ", heads " + config.heads() + "/" + config.kvHeads()
                + ", ffn " + config.ffnDim() + ", vocab " + config.vocabSize() + ", context " + config.contextLength());
        m.put("kernels", kernelsDescription());
        m.put("threads", Integer.toString(parallel.threads()));
        m.put("numerics", options.numerics() == Numerics.EXACT ? "exact (ggml AVX2 summation order)" : "fast");
        m.put("attention", attentionDescription());
        String outputTensor = gguf.findTensor(OUTPUT).isEmpty() ? "token_embd, tied" : "output.weight";
        String rescored = ", top " + Forward.RESCORED + " rescored in F16" + (outputRows.inMemory() == null ? " read from the file" : "");
        m.put("output projection", (outputI8 != null ? "int8, a scale per row (" + outputSource + ")" + rescored
                : outputQ4 != null ? "4-bit, a scale per row (" + outputSource + ")" + rescored : "F16 (as stored)")
                + " (" + outputTensor + ")");
        if (options.lowMemory()) m.put("low memory", "F16 rows read from the file on demand (embedding of each token, rescored rows)");
        int context = options.contextLength() == 0 ? Math.min(config.contextLength(), 4096) : Math.min(options.contextLength(), config.contextLength());
        double full = KvCache.bytes(config, context, options.cacheType()) / 1048576.0;
        m.put("kv cache", String.format(java.util.Locale.ROOT, "%s, grows in blocks of %d positions (%.1f MiB each), %.1f MiB at context %d",
                options.cacheType() == CacheType.F16 ? "F16" : "8-bit with an F16 scale per 32 values (q8_0)", KvCache.BLOCK,
                full * KvCache.BLOCK / context, full, context));
        return m;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            parallel.close();
            if (outputRows != embeddingRows) outputRows.close();
            embeddingRows.close();
            gguf.close();
            arena.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
