package io.bitnet4j.cli;

import io.bitnet4j.gguf.GgufTensorInfo;
import io.bitnet4j.model.BatchDecoder;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.model.StageTimes;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prompt processing (pp) and generation (tg) speed, in the manner of llama-bench.",
                "pp N: N random tokens in batches of -b; tg N: N tokens decoded one at a time from an empty context;",
                "pg PP,TG: a prompt then a generation, timed together. Every list option multiplies the tests.",
                "-d D: each test runs after D tokens already in the context (prefilled once, not timed), e.g. tg128 @ d2048.",
                "Mean ± sample standard deviation of the repetitions, after one warm-up run."})
final class BenchCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = {"-p", "--n-prompt"}, split = ",", paramLabel = "N", defaultValue = "128", description = "prompt lengths (default: ${DEFAULT-VALUE})")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", paramLabel = "N", defaultValue = "128", description = "generation lengths (default: ${DEFAULT-VALUE})")
    List<Integer> gens;

    @Option(names = {"-pg"}, paramLabel = "PP,TG", description = "a prompt of PP tokens then TG generated ones, timed together (repeatable)")
    List<String> promptGens = new ArrayList<>();

    @Option(names = {"-d", "--n-depth"}, split = ",", paramLabel = "D", defaultValue = "0",
            description = "context depths: tokens already in the context before each test, as llama-bench -d (default: ${DEFAULT-VALUE})")
    List<Integer> depths;

    @Option(names = "--bench-kernels", split = ",", paramLabel = "K", description = "ternary kernels to compare, as --kernel (default: the --kernel value)")
    List<String> kernelList;

    @Option(names = "--bench-batch", split = ",", paramLabel = "N", description = "prompt batch sizes to compare, as -b (default: the -b value)")
    List<Integer> batchList;

    @Option(names = "--bench-output-types", split = ",", paramLabel = "TYPE", description = "output projections to compare, as --output-type (default: the --output-type value)")
    List<String> outputList;

    @Option(names = "--sessions", split = ",", paramLabel = "N", defaultValue = "1",
            description = "sessions decoding together for tg tests (continuous batching); the rate is their sum (default: ${DEFAULT-VALUE})")
    List<Integer> sessionCounts;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", paramLabel = "R", description = "repetitions per test (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "md",
            description = "md (a table), csv, json or jsonl, with llama-bench's field names plus bitnet4j's (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--no-roofline", description = "skip the memory bandwidth and int8 MAC rate measurements (no roofline fractions)")
    boolean noRoofline;

    @Option(names = "--bandwidth-mib", paramLabel = "MIB", defaultValue = "1024",
            description = "buffer of the bandwidth measurement, far larger than the caches (default: ${DEFAULT-VALUE})")
    int bandwidthMib;

    @Option(names = "--profile", description = {"after the table: where each test's passes spent their time, per stage of the forward pass",
            "(ms per pass, share, GB/s read: weights, and the KV cache for attention), and what the parallel regions' hand-offs cost"})
    boolean profile;

    @Option(names = "--dense-baseline", description = {"instead of the pp/tg tests: one layer's matrix products, ternary through the model's kernels",
            "against the same shapes as F32 matrices through OpenBLAS (sgemv, sgemm; as many threads), at --dense-tokens;",
            "time, speedup, bytes per weight and the whole-model time per token (BF16: not in the bundled OpenBLAS)"})
    boolean denseBaseline;

    @Option(names = "--dense-tokens", split = ",", paramLabel = "N", description = "token counts of --dense-baseline, 1 to 512 (default: 1,8,32,128)")
    List<Integer> denseTokens;

    @Option(names = "--dense-rotate-mib", paramLabel = "MIB", defaultValue = "512",
            description = "weights each engine of --dense-baseline rotates over, far larger than the caches (default: ${DEFAULT-VALUE})")
    int denseRotateMib;

    private final List<String> profiles = new ArrayList<>();
    private io.bitnet4j.model.ResidentMemory lastMemory; // taken at the end of each test

    /**
     * One test to run: pp (gen = 0), tg (prompt = 0) or pg (both), with sessions > 1 for batched tg, after depth tokens
     * already in each session's context.
     */
    record Test(int prompt, int gen, int sessions, int depth) {
        String name() {
            String base = gen == 0 ? "pp" + prompt : prompt == 0 ? "tg" + gen : "pp" + prompt + "+tg" + gen;
            if (depth > 0) base += " @ d" + depth; // llama-bench's name for the same test
            return sessions > 1 ? base + " x" + sessions + " sessions" : base;
        }

        /** Positions a session of this test uses. */
        int positions() {
            return depth + prompt + gen;
        }
    }

    @Override
    public Integer call() {
        if (repetitions < 1) throw new UsageException("--repetitions must be at least 1, got " + repetitions);
        if (bandwidthMib < 64) throw new UsageException("--bandwidth-mib must be at least 64 (beyond the caches), got " + bandwidthMib);
        BenchReport.Format out = BenchReport.Format.parse(format);
        if (denseBaseline) return runDenseBaseline(out);
        if (denseTokens != null) throw new UsageException("--dense-tokens needs --dense-baseline");
        List<Test> tests = tests();
        List<Integer> threads = model.threads;
        List<String> kernels = kernelList == null ? List.of(model.ternaryKernel) : kernelList;
        List<Integer> batches = batchList == null ? List.of(model.batchSize) : batchList;
        List<String> outputs = outputList == null ? java.util.Collections.singletonList(model.outputType) : outputList; // null: the default
        List<String> attentions = model.attention;
        for (String a : attentions) { // a typo fails before the first configuration runs
            try {
                io.bitnet4j.model.AttentionKernel.parse(a);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        BenchReport report = new BenchReport(out, new PrintStream(System.out, true, StandardCharsets.UTF_8));
        int configs = threads.size() * kernels.size() * outputs.size() * attentions.size() * batches.size(), config = 0;
        report.begin();
        for (int t : threads) {
            model.threads = List.of(t);
            double bandwidth = noRoofline ? 0 : measureBandwidth(t);
            for (String kernel : kernels)
                for (String output : outputs)
                    for (String attention : attentions)
                        for (int batch : batches) {
                            model.ternaryKernel = kernel;
                            model.outputType = output;
                            model.attention = List.of(attention);
                            model.batchSize = batch;
                            runTests(tests, bandwidth, report, ++config, configs);
                        }
        }
        report.end();
        // the tables follow a markdown report; other formats stay machine-readable on stdout
        PrintStream profileOut = out == BenchReport.Format.MD ? System.out : System.err;
        profiles.forEach(profileOut::print);
        return 0;
    }

    /**
     * --dense-baseline for each thread count and kernel: one model load each (for its shape and kernels; the weights
     * timed are random copies), then both engines. Markdown prints a table per configuration, the other formats all
     * rows at the end (one JSON document).
     */
    private int runDenseBaseline(BenchReport.Format out) {
        List<Integer> tokens = denseTokens == null ? List.of(1, 8, 32, 128) : denseTokens;
        for (int t : tokens)
            if (t < 1 || t > 512) throw new UsageException("--dense-tokens takes token counts from 1 to 512, got " + t);
        if (denseRotateMib < 1 || denseRotateMib > 1 << 20)
            throw new UsageException("--dense-rotate-mib must be between 1 and 1048576, got " + denseRotateMib);
        DenseBaseline.loadOpenBlas();
        String engine = DenseBaseline.openBlasName() + " F32, sgemv at 1 token, sgemm beyond";
        String bf16 = DenseBaseline.bf16Note();
        List<String> kernels = kernelList == null ? List.of(model.ternaryKernel) : kernelList;
        PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        List<DenseBaselineReport.Row> rows = new ArrayList<>();
        for (int threads : model.threads)
            for (String kernel : kernels) {
                model.threads = List.of(threads);
                model.ternaryKernel = kernel;
                List<DenseBaselineReport.Row> measured = denseBaseline(tokens, engine);
                List<String> notes = DenseBaselineReport.notes(measured.getFirst().setup(), bf16);
                if (out == BenchReport.Format.MD) stdout.print(DenseBaselineReport.markdown(measured, notes));
                else notes.forEach(System.err::println);
                rows.addAll(measured);
            }
        if (out != BenchReport.Format.MD) DenseBaselineReport.print(out, rows, stdout);
        return 0;
    }

    /** One configuration of --dense-baseline: a row per token count. */
    private List<DenseBaselineReport.Row> denseBaseline(List<Integer> tokens, String engine) {
        io.bitnet4j.model.ModelConfig config;
        io.bitnet4j.kernels.Kernels kernels;
        BenchReport.ModelFacts facts;
        int threads;
        String route;
        try (Model m = model.load(System.err)) {
            config = m.config();
            kernels = Model.kernels(m.options()); // the choice Model.load made; the kernels hold no model state
            facts = facts(m);
            threads = m.threads();
            route = m.kernelsDescription();
        }
        int denseThreads = DenseBaseline.openBlasThreads(threads);
        Progress progress = model.progress(System.err, "dense baseline");
        List<DenseBaselineReport.Row> rows = new ArrayList<>();
        try (DenseBaseline baseline = new DenseBaseline(config, kernels, threads, java.util.Collections.max(tokens),
                (long) denseRotateMib << 20, progress)) {
            var setup = new DenseBaselineReport.Setup(facts, config.layers(), threads, route, denseThreads, engine, baseline.layerWeights(),
                    baseline.ternaryLayerBytes(), baseline.denseLayerBytes(), baseline.ternaryRotationBytes(), baseline.denseRotationBytes());
            for (DenseBaseline.Result r : baseline.measure(tokens, repetitions, progress))
                rows.add(new DenseBaselineReport.Row(setup, r.tokens(), r.ternaryNs(), r.denseNs(), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
        } catch (OutOfMemoryError e) {
            progress.fail();
            throw new CliException("not enough memory for the dense baseline's weight copies (" + e.getMessage()
                    + "): give a smaller --dense-rotate-mib");
        } catch (RuntimeException | Error e) {
            progress.fail();
            throw e;
        }
        progress.done(2 * tokens.size() + " measurements");
        return rows;
    }

    /** The pp, tg (times each --sessions value) and pg tests, in llama-bench's order, each at every depth. */
    List<Test> tests() {
        for (int d : depths)
            if (d < 0) throw new UsageException("-d must not be negative, got " + d);
        List<Test> tests = new ArrayList<>();
        for (int p : prompts) {
            if (p < 0) throw new UsageException("-p must not be negative, got " + p);
            if (p > 0) for (int d : depths) tests.add(new Test(p, 0, 1, d));
        }
        for (int n : gens) {
            if (n < 0) throw new UsageException("-n must not be negative, got " + n);
            for (int s : sessionCounts) {
                if (s < 1 || s > 512) throw new UsageException("--sessions must be between 1 and 512, got " + s);
                if (n > 0) for (int d : depths) tests.add(new Test(0, n, s, d));
            }
        }
        for (String pg : promptGens) {
            String[] parts = pg.split(",");
            int p, n;
            try {
                if (parts.length != 2) throw new NumberFormatException();
                p = Integer.parseInt(parts[0].trim());
                n = Integer.parseInt(parts[1].trim());
                if (p <= 0 || n <= 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw new UsageException("-pg takes two positive numbers PP,TG, got '" + pg + "'");
            }
            for (int d : depths) tests.add(new Test(p, n, 1, d));
        }
        if (tests.isEmpty()) throw new UsageException("no test to run: give -p, -n or -pg values above 0");
        return tests;
    }

    private double measureBandwidth(int threads) {
        int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        System.err.printf(Locale.ROOT, "measuring memory read bandwidth with %d thread(s)...%n", n);
        double bandwidth = MemoryBandwidth.measure((long) bandwidthMib << 20, n, 4);
        System.err.printf(Locale.ROOT, "memory read bandwidth with %d thread(s): %.1f GB/s%n", n, bandwidth / 1e9);
        return bandwidth;
    }

    /** The int8 compute ceiling of the loaded configuration, said on stderr; rate 0 where the kernels have no MAC loop. */
    private static BenchReport.ComputeCeiling measureCeiling(Model m) {
        double rate = m.measureInt8MacsPerSecond(300);
        long macs = m.ternaryMacsPerToken();
        var ceiling = new BenchReport.ComputeCeiling(rate, macs);
        if (rate <= 0) System.err.println("int8 compute ceiling: not measured (" + m.describe().get("kernels") + " has no MAC loop)");
        else System.err.printf(Locale.ROOT, "int8 compute ceiling: %s on %d thread(s), %.1f GMAC/s; %.2f G ternary MACs per token,"
                + " so at most %.1f tokens/s through the ternary products%n", m.describe().get("kernels"), m.threads(), rate / 1e9,
                macs / 1e9, ceiling.tokensPerSecond());
        return ceiling;
    }

    /** Every test on one configuration (one model load). */
    private void runTests(List<Test> tests, double bandwidth, BenchReport report, int config, int configs) {
        try (Model m = model.load(System.err)) {
            BenchReport.ModelFacts facts = facts(m);
            System.err.println("attention: " + m.attentionDescription());
            BenchReport.ComputeCeiling ceiling = noRoofline ? BenchReport.ComputeCeiling.NONE : measureCeiling(m);
            Progress progress = model.progress(System.err, "bench " + config + "/" + configs);
            for (int i = 0; i < tests.size(); i++) {
                Test test = tests.get(i);
                progress.progress(test.name(), i, tests.size());
                List<Long> samples = test.sessions() == 1 ? measure(m, test) : measureBatched(m, test);
                if (profile && lastProfile != null) {
                    String title = test.name() + ", " + m.threads() + " thread(s), " + m.describe().get("kernels") + ", output " + m.options().outputType().id()
                            + ", attention " + attention(m);
                    profiles.add(ProfileTable.format(title, lastProfile, m.measureEmptyRegionNanos(2000)));
                }
                report.add(new BenchReport.Row(facts, m.threads(), m.options().batchSize(), m.describe().get("kernels"),
                        m.options().outputType().id(), attention(m), m.options().numerics().id(), test,
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), samples, bandwidth, m.weightBytesPerToken(), m.kvBytesPerPosition(),
                        m.options().cacheType().id(), lastMemory, ceiling));
            }
            progress.done(tests.size() + " tests");
            System.err.println("memory after " + tests.getLast().name() + ": " + lastMemory.line());
        }
    }

    /** The attention kernel asked for, and what AUTO resolved to ("auto: java" where OpenBLAS is off; stderr said why). */
    static String attention(Model m) {
        var asked = m.options().attentionKernel();
        return asked == io.bitnet4j.model.AttentionKernel.AUTO && m.attentionKernel() != asked ? "auto: " + m.attentionKernel().id() : asked.id();
    }

    private BenchReport.ModelFacts facts(Model m) {
        long size = 0, params = 0;
        for (GgufTensorInfo t : m.gguf().tensors()) {
            size += t.byteSize();
            params += t.elements();
        }
        return new BenchReport.ModelFacts(model.modelPath().toString(), m.config().arch().name(), size, params, model.mapFile, InfoCommand.cpuName(),
                "bitnet4j " + Main.version());
    }

    /** The stage times of the last test's timed repetitions. */
    private StageTimes.Snapshot lastProfile;

    /** Refuses a test whose positions do not fit the model's context, before any of its work. */
    private static void checkContext(Model m, Test test) {
        int n = test.positions();
        if (n >= m.config().contextLength())
            throw new UsageException(test.name() + " needs " + (n + 1) + " positions, more than the model's context " + m.config().contextLength());
    }

    /** The test's context of random tokens, prefilled once (untimed); nothing when its depth is 0. */
    private static void fillDepth(Session s, Test test, SplittableRandom rnd) {
        if (test.depth() > 0) s.prefill(rnd.ints(test.depth(), 0, s.model().config().vocabSize()).toArray());
    }

    /** Nanoseconds per repetition of a pp, tg or pg test on one session. */
    private List<Long> measure(Model m, Test test) {
        checkContext(m, test);
        var rnd = new SplittableRandom(42);
        int[] prompt = rnd.ints(test.prompt(), 0, m.config().vocabSize()).toArray();
        int[] gen = rnd.ints(test.gen(), 0, m.config().vocabSize()).toArray();
        List<Long> samples = new ArrayList<>();
        try (Session s = m.newSession(test.positions() + 1)) {
            fillDepth(s, test, rnd);
            for (int r = -1; r < repetitions; r++) { // r = -1 warms up
                s.truncate(test.depth()); // back to the context: each repetition runs on the same one
                if (r == 0) s.stageTimes().reset();
                long start = System.nanoTime();
                if (prompt.length > 0) s.prefill(prompt);
                for (int tok : gen) s.decode(tok);
                if (r >= 0) samples.add(System.nanoTime() - start);
            }
            lastProfile = s.stageTimes().snapshot();
            lastMemory = m.memory(); // with the session's KV cache still held
        }
        return samples;
    }

    /** Nanoseconds per repetition of {@code sessions} sessions stepping together through n tokens each. */
    private List<Long> measureBatched(Model m, Test test) {
        checkContext(m, test);
        int n = test.gen(), sessions = test.sessions();
        var rnd = new SplittableRandom(7);
        List<Long> samples = new ArrayList<>();
        List<Session> open = new ArrayList<>();
        try (BatchDecoder batch = m.newBatchDecoder(sessions)) {
            for (int i = 0; i < sessions; i++) {
                open.add(m.newSession(test.positions() + 1));
                fillDepth(open.getLast(), test, rnd);
            }
            int[] tokens = new int[sessions];
            for (int r = -1; r < repetitions; r++) {
                for (Session s : open) s.truncate(test.depth());
                if (r == 0) batch.stageTimes().reset();
                long start = System.nanoTime();
                for (int step = 0; step < n; step++) {
                    for (int i = 0; i < sessions; i++) tokens[i] = rnd.nextInt(m.config().vocabSize());
                    batch.step(open, tokens);
                }
                if (r >= 0) samples.add(System.nanoTime() - start);
            }
            lastProfile = batch.stageTimes().snapshot();
            lastMemory = m.memory();
        } finally {
            open.forEach(Session::close);
        }
        return samples;
    }
}
