package io.bitnet4j.cli;

import io.bitnet4j.model.Model;
import io.bitnet4j.model.Perplexity;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a text, by llama-perplexity's protocol (default): the tokens (BOS first) cut into",
                "chunks of -c tokens, each a fresh context with BOS in place of its first token, the second half of",
                "each chunk scored; the running estimate per chunk, then 'Final estimate: PPL = X +/- E'.",
                "--kl-divergence-base FILE saves the run's log-probabilities; run again with --kl-divergence and",
                "another --output-type, --kernel or --isa to get KL divergence, top-token agreement and the PPL change.",
                "Text is split as llama-perplexity splits it: on a file without tokenizer.ggml.pre (the official 2B4T",
                "file, the bundled model) with llama.cpp's default pre-tokenizer, unless --tokenizer llama3.",
                "--protocol windows: every token of non-overlapping windows (scripts/train-tiny-model/eval.py)."})
final class PerplexityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "UTF-8 text (not needed with --kl-divergence: the base file holds the tokens)")
    Path file;

    @Option(names = "--chunks", paramLabel = "N", defaultValue = "-1", description = "score at most N chunks, -1 = all (default: ${DEFAULT-VALUE})")
    int chunks;

    @Option(names = "--kl-divergence-base", paramLabel = "FILE",
            description = "without --kl-divergence: write this run's log-probabilities here; with it: compare against them")
    Path klBase;

    @Option(names = "--kl-divergence", description = "compare this run with --kl-divergence-base: KL divergence, same top token, Δp, PPL ratio")
    boolean klDivergence;

    @Option(names = "--protocol", paramLabel = "NAME", defaultValue = "llama",
            description = "llama (llama-perplexity's) or windows (the training script's: every token of --window-token windows) (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--window", paramLabel = "N", defaultValue = "0", description = "windows protocol: tokens per window, 0 = the model's context - 1 (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--no-bos", description = "windows protocol: no BOS before each window (then its first token is not scored)")
    boolean noBos;

    @Option(names = "--max-windows", paramLabel = "N", defaultValue = "0", description = "windows protocol: stop after N windows, 0 = all")
    int maxWindows;

    /** llama-perplexity's default context. */
    static final int LLAMA_DEFAULT_CTX = 512;

    @Override
    public Integer call() throws IOException {
        if (klDivergence && klBase == null) throw new UsageException("--kl-divergence needs --kl-divergence-base FILE (the base run's file)");
        if (chunks == 0 || chunks < -1) throw new UsageException("--chunks must be -1 (all) or at least 1, got " + chunks);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        switch (protocol) {
            case "llama" -> {
                if (klDivergence) compare(out);
                else llama(out);
            }
            case "windows" -> {
                if (klBase != null) throw new UsageException("--kl-divergence-base works with the llama protocol only");
                windows(out);
            }
            default -> throw new UsageException("unknown --protocol '" + protocol + "', expected llama or windows");
        }
        return 0;
    }

    /** llama-perplexity's default mode; also writes the KL base file when asked. */
    private void llama(PrintStream out) throws IOException {
        String text = text();
        try (Model m = model.load(System.err)) {
            Report.system(System.err, m);
            Tokenizer tok = llamaCppTokenizer(m);
            int nCtx = context(m);
            int[] ids = tok.encode(text, false);
            if (tok.addBos() && tok.bos() >= 0) ids = GenerateCommand.prepend(tok.bos(), ids); // as llama-perplexity tokenizes
            if (ids.length < 2 * nCtx)
                throw new CliException("the text is " + ids.length + " tokens: a context of " + nCtx + " needs at least " + 2 * nCtx
                        + " (as llama-perplexity requires); give a longer text or a smaller -c");
            int n = Perplexity.llamaCppChunks(ids.length, nCtx, chunks);
            System.err.printf(Locale.ROOT, "%d tokens, %d chunks of %d, scoring the last %d tokens of each%n", ids.length, n, nCtx,
                    Perplexity.llamaCppRowsPerChunk(nCtx));
            int bos = tok.addBos() ? tok.bos() : -1;
            KlDivergence.BaseWriter base = klBase == null ? null
                    : new KlDivergence.BaseWriter(klBase, new KlDivergence.Header(nCtx, m.config().vocabSize(), n, Arrays.copyOf(ids, n * nCtx)));
            try (base) {
                int rowsPerChunk = Perplexity.llamaCppRowsPerChunk(nCtx);
                RunningPerplexity running = new RunningPerplexity(out, rowsPerChunk);
                // When stdout is the terminal, the running [i]ppl list is the progress: a bar on the same screen would mix with it.
                Progress progress = Tty.interactive() ? new Progress(System.err, "perplexity", false) : model.progress(System.err, "perplexity");
                Perplexity.llamaCppRows(m, ids, nCtx, n, bos, (chunk, row, logits, target) -> {
                    running.add(logits, target);
                    if (base != null) write(base, logits);
                    if (chunk == 0 && row == rowsPerChunk - 1)
                        System.err.printf(Locale.ROOT, "%.2f seconds per pass - ETA %.2f minutes%n", progress.seconds(), progress.seconds() * n / 60);
                }, progress);
                out.println();
                progress.done(String.format(Locale.ROOT, "%d chunks in %.1f s (%.1f tokens/s)", n, progress.seconds(),
                        (double) n * nCtx / progress.seconds()));
                Perplexity.Estimate e = running.estimate;
                out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", e.value(), e.error());
                if (base != null) System.err.println("saved the log-probabilities of " + e.tokens() + " scored tokens to " + klBase);
            }
        }
    }

    /** Prints llama-perplexity's running estimate, "[1]12.3456,[2]...", as each chunk completes. */
    private static final class RunningPerplexity {
        private final PrintStream out;
        private final int rowsPerChunk;
        Perplexity.Estimate estimate = new Perplexity.Estimate(0, 0, 0);

        RunningPerplexity(PrintStream out, int rowsPerChunk) {
            this.out = out;
            this.rowsPerChunk = rowsPerChunk;
        }

        void add(float[] logits, int target) {
            estimate = estimate.plus(-Perplexity.logSoftmax(logits, target));
            if (estimate.tokens() % rowsPerChunk == 0)
                out.printf(Locale.ROOT, "[%d]%.4f,", estimate.tokens() / rowsPerChunk, estimate.value());
        }
    }

    /** --kl-divergence: the base file's tokens through this configuration, compared row by row. */
    private void compare(PrintStream out) throws IOException {
        if (!Files.isRegularFile(klBase)) throw new CliException("KL-divergence base file not found: " + klBase);
        try (KlDivergence.BaseReader base = new KlDivergence.BaseReader(klBase); Model m = model.load(System.err)) {
            Report.system(System.err, m);
            KlDivergence.Header h = base.header;
            if (h.nVocab() != m.config().vocabSize())
                throw new CliException(klBase + " was made with a vocabulary of " + h.nVocab() + ", this model has " + m.config().vocabSize());
            Tokenizer tok = llamaCppTokenizer(m);
            int n = Perplexity.llamaCppChunks(h.tokens().length, h.nCtx(), chunks);
            System.err.printf(Locale.ROOT, "%s: %d chunks of %d tokens%n", klBase, n, h.nCtx());
            KlDivergence.Stats stats = new KlDivergence.Stats();
            int rowsPerChunk = Perplexity.llamaCppRowsPerChunk(h.nCtx());
            out.println(KlDivergence.Stats.CHUNK_HEADER);
            Progress progress = model.progress(System.err, "kl-divergence");
            Perplexity.llamaCppRows(m, h.tokens(), h.nCtx(), n, tok.addBos() ? tok.bos() : -1, (chunk, row, logits, target) -> {
                stats.add(logits, h.nVocab(), read(base), target);
                if (row == rowsPerChunk - 1) out.println(stats.chunkLine(chunk + 1));
            }, progress);
            progress.done(String.format(Locale.ROOT, "%d chunks in %.1f s", n, progress.seconds()));
            out.println();
            stats.printSummary(out);
        }
    }

    /** The training script's protocol (scripts/train-tiny-model/eval.py), kept for comparison with its figures. */
    private void windows(PrintStream out) throws IOException {
        String text = text();
        try (Model m = model.load(System.err)) {
            Report.system(System.err, m);
            Tokenizer tok = model.tokenizer(m);
            int[] ids = tok.encode(text, false);
            int w = window > 0 ? window : Math.min(m.config().contextLength(), 4096) - 1;
            if (maxWindows > 0 && ids.length > (long) maxWindows * w) ids = Arrays.copyOf(ids, maxWindows * w);
            System.err.printf(Locale.ROOT, "%d tokens, %d windows of up to %d%n", ids.length, (ids.length + w - 1) / w, w);
            Progress progress = model.progress(System.err, "perplexity");
            Perplexity p = Perplexity.compute(m, ids, w, noBos ? -1 : tok.bos(), progress);
            progress.done(String.format(Locale.ROOT, "%.1f s", progress.seconds()));
            out.printf(Locale.ROOT, "perplexity: %.4f over %d scored tokens (%.1f tokens/s)%n", p.value(), p.tokens(), p.tokens() / progress.seconds());
        }
    }

    /**
     * The tokenizer llama-perplexity would use on this file: the one tokenizer.ggml.pre names, else llama.cpp's
     * default pre-tokenizer (what bitnet.cpp does with the official 2B4T file), unless --tokenizer says otherwise.
     * On such files the split differs from the model's own (LLaMA-3) one, and so does the perplexity.
     */
    private Tokenizer llamaCppTokenizer(Model m) {
        if (model.tokenizerMode == null && !m.gguf().has("tokenizer.ggml.pre")) {
            System.err.println("tokenizer: llama.cpp's default pre-tokenizer, as llama-perplexity uses it on a file without "
                    + "tokenizer.ggml.pre (--tokenizer llama3 for the model's own split)");
            model.tokenizerMode = "compat";
        }
        return model.tokenizer(m);
    }

    /** -c as llama-perplexity reads it: 512 unless given (capped at the model's context when not given). */
    private int context(Model m) {
        int trained = m.config().contextLength();
        if (model.contextLength > 0) {
            if (model.contextLength > trained) throw new UsageException("-c " + model.contextLength + " exceeds the model's context " + trained);
            return model.contextLength;
        }
        if (trained < LLAMA_DEFAULT_CTX) System.err.printf(Locale.ROOT, "-c not given: %d (the model's context; llama-perplexity's default is 512)%n", trained);
        return Math.min(LLAMA_DEFAULT_CTX, trained);
    }

    private String text() throws IOException {
        if (file == null) throw new UsageException("give the text with -f FILE");
        if (!Files.isRegularFile(file)) throw new CliException("text file not found: " + file);
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8); // malformed UTF-8 becomes U+FFFD
    }

    private static void write(KlDivergence.BaseWriter base, float[] logits) {
        try {
            base.write(logits);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.nio.ByteBuffer read(KlDivergence.BaseReader base) {
        try {
            return base.next();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
