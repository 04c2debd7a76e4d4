package io.bitnet4j.cli;

import io.bitnet4j.model.AttentionKernel;
import io.bitnet4j.model.Backend;
import io.bitnet4j.model.CacheType;
import io.bitnet4j.model.Isa;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Numerics;
import io.bitnet4j.model.OutputType;
import io.bitnet4j.model.TernaryKernel;
import io.bitnet4j.tokenizer.PreTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every model-using command shares: which file, how to run it, how to tokenize. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the model bundled in models/)")
    Path model;

    @Mixin HfModelArgs hf; // -hf REPO[:FILE], --hf-file, --hf-token, --offline

    @Option(names = {"-t", "--threads"}, paramLabel = "N", split = ",", defaultValue = "0",
            description = "worker threads, 0 = one per processor; bench takes a list, e.g. 1,2 (default: ${DEFAULT-VALUE})")
    List<Integer> threads;

    @Option(names = "--no-progress", description = "no progress lines on stderr (loading, scoring, writing)")
    boolean noProgress;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "context length of the session, 0 = the model's, at most 4096 (default: ${DEFAULT-VALUE})")
    int contextLength;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "64",
            description = "tokens per forward pass while reading the prompt (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "kernel backend: auto (native where its library loads, else vector), native (C++ library), vector (Java Vector API) or java (scalar) (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--isa", paramLabel = "NAME",
            description = "force a native ISA: scalar, avx2, avx512-vnni, neon, neon-dotprod (default: the best this CPU has)")
    String isa;

    @Option(names = "--tokenizer", paramLabel = "MODE",
            description = "BPE pre-tokenizer: llama3 (2B4T's own), compat (what bitnet.cpp does on files without tokenizer.ggml.pre) or falcon3 (default: from the file, else llama3)")
    String tokenizerMode;

    @Option(names = "--numerics", paramLabel = "MODE", defaultValue = "fast",
            description = "fast, or exact: sum F16 dot products and the softmax in ggml's AVX2 order, so decode logits are bit-identical to bitnet.cpp's (slower) (default: ${DEFAULT-VALUE})")
    String numerics;

    @Option(names = "--output-type", paramLabel = "TYPE",
            description = "output projection: f16 (as stored), i8 or q4 (an int8 / 4-bit copy made at load: 1/2 or 1/4 "
                    + "of the bytes per token, faster decode; the best 64 logits are recomputed in F16, so greedy "
                    + "output matches f16) (default: f16, q4 with --low-memory)")
    String outputType;

    @Option(names = "--low-memory", description = "keep the F16 embedding table (also the output projection) in the "
            + "file: rank with the quantized copy (--output-type), read the F16 rows needed exactly (each token's "
            + "embedding, the 64 best rows) on demand; greedy output stays f16's (docs/memory.md)")
    boolean lowMemory;

    @Option(names = "--output-cache", description = "keep the quantized output copy in FILE.<type>.b4j-output beside "
            + "the model (checked against the model's size, time and table CRC; rebuilt when stale) instead of making it at every load")
    boolean outputCache;

    @Option(names = "--cache-type", paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache: f16 (as bitnet.cpp) or q8 (8-bit with an F16 scale per 32 values, like llama.cpp's "
                    + "q8_0: 53 %% of the bytes, slightly different logits) (default: ${DEFAULT-VALUE})")
    String cacheType;

    @Option(names = "--kernel", paramLabel = "K", defaultValue = "auto",
            description = "ternary kernel: auto, i2s (native multiply-add), tl2 / tl1 (native lookup tables, x86 / ARM, repacked at load), or vector / vector-lut / java (the Java backends: multiply-add, lookup tables, scalar) (default: ${DEFAULT-VALUE})")
    String ternaryKernel;

    @Option(names = "--attention", paramLabel = "K", split = ",", defaultValue = "auto",
            description = "attention kernel: auto (OpenBLAS sgemm for long prompt batches where it loads, else java), java, "
                    + "or openblas (every call, to compare; fast numerics only); bench takes a list, e.g. java,openblas (default: ${DEFAULT-VALUE})")
    List<String> attention;

    @Option(names = "--no-check", description = "skip the load-time scan of ternary weights for invalid codes")
    boolean noCheck;

    @Option(names = "--mmap", description = "map the file instead of reading it into memory (huge pages): loads "
            + "faster and shares the page cache, decodes ~10 %% slower")
    boolean mapFile;

    /** The file to load: --model or -hf, else the single .gguf in the bundled models folder. */
    Path modelPath() {
        if (hf.given()) return hf.resolve(model);
        return modelPath(model);
    }

    /** The given file (checked), else the first .gguf in the bundled models folder. */
    static Path modelPath(Path given) {
        if (given != null) {
            if (!Files.isRegularFile(given)) throw new CliException("model file not found: " + given);
            return given;
        }
        Path dir = Path.of(System.getProperty("bitnet4j.home", ".")).resolve("models");
        List<Path> found;
        try (Stream<Path> s = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
            found = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        } catch (IOException e) {
            throw new CliException("cannot list " + dir + ": " + e.getMessage());
        }
        if (found.isEmpty()) throw new CliException("no model given and none bundled in " + dir + ": pass --model FILE");
        return found.getFirst();
    }

    Model.Options options() {
        try {
            // --kernel also names the Java backends: vector, vector-lut (its lookup tables) and java
            String chosenBackend = switch (ternaryKernel) {
                case "vector", "vector-lut" -> "vector";
                case "java" -> "java";
                default -> backend;
            };
            String kernel = ternaryKernel.equals("vector") || ternaryKernel.equals("java") ? "auto" : ternaryKernel;
            if (threads.size() != 1) throw new UsageException("-t takes one thread count here (a list only in bench), got " + threads);
            if (attention.size() != 1) throw new UsageException("--attention takes one kernel here (a list only in bench), got " + attention);
            return Model.Options.builder().threads(threads.getFirst()).backend(Backend.parse(chosenBackend))
                    .isa(isa == null ? Isa.BEST : Isa.parse(isa)).contextLength(contextLength).batchSize(batchSize)
                    .checkWeights(!noCheck).numerics(Numerics.parse(numerics)).outputType(outputType == null ? null : OutputType.parse(outputType))
                    .ternaryKernel(TernaryKernel.parse(kernel)).mapFile(mapFile)
                    .cacheType(CacheType.parse(cacheType)).lowMemory(lowMemory).outputCache(outputCache)
                    .attentionKernel(AttentionKernel.parse(attention.getFirst())).build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        } catch (UnsupportedOperationException e) { // a kernel asked for that cannot load here: not a usage error
            throw new CliException(e.getMessage());
        }
    }

    /** Loads the model with a progress bar on stderr. */
    Model load(PrintStream err) {
        Path path = modelPath();
        Model.Options options = options();
        Progress bar = progress(err, "loading " + path.getFileName());
        try {
            Model m = Model.load(path, options, bar);
            bar.done(String.format(java.util.Locale.ROOT, "loaded in %.2f s", bar.seconds()));
            return m;
        } catch (IOException e) {
            bar.fail();
            throw new CliException("cannot load " + path + ": " + e.getMessage());
        }
    }

    /** A progress reporter on err, silent with --no-progress. */
    Progress progress(PrintStream err, String label) {
        return new Progress(err, label, !noProgress);
    }

    /** The --tokenizer choice: null (absent) follows the file; llama3, compat or falcon3. */
    static PreTokenizer preTokenizer(String mode) {
        return switch (mode == null ? "" : mode) {
            case "" -> null;
            case "llama3" -> PreTokenizer.LLAMA3;
            case "compat" -> PreTokenizer.BITNET_CPP_COMPAT;
            case "falcon3" -> PreTokenizer.FALCON3;
            default -> throw new UsageException("unknown --tokenizer '" + mode + "', expected llama3, compat or falcon3");
        };
    }

    Tokenizer tokenizer(Model model) {
        PreTokenizer mode = preTokenizer(tokenizerMode);
        try {
            return io.bitnet4j.tokenizer.GgufTokenizer.load(model.gguf(), model.config().vocabSize(), mode);
        } catch (io.bitnet4j.gguf.GgufException e) {
            throw new CliException(e.getMessage());
        }
    }
}
