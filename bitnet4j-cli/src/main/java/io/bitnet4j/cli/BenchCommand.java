package io.bitnet4j.cli;

import io.bitnet4j.model.BatchDecoder;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prompt processing (pp) and generation (tg) speed, in the manner of llama-bench.",
                "pp N: N random tokens in batches; tg N: N tokens decoded one at a time after an empty context."})
final class BenchCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = {"-p", "--n-prompt"}, split = ",", paramLabel = "N", defaultValue = "128", description = "prompt lengths (default: ${DEFAULT-VALUE})")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", paramLabel = "N", defaultValue = "128", description = "generation lengths (default: ${DEFAULT-VALUE})")
    List<Integer> gens;

    @Option(names = "--bench-threads", split = ",", paramLabel = "T", description = "thread counts to compare (default: the -t value)")
    List<Integer> threadList;

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

    @Option(names = "--no-roofline", description = "skip the memory bandwidth measurement")
    boolean noRoofline;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    record Row(String test, int threads, String kernels, int batch, String output, double mean, double sd, List<Double> samples,
               double roofline) {}

    @Override
    public Integer call() throws IOException {
        if (repetitions < 1) throw new CliException("--repetitions must be at least 1");
        List<Integer> threads = threadList == null ? model.threads : threadList;
        List<String> kernels = kernelList == null ? List.of(model.ternaryKernel) : kernelList;
        List<Integer> batches = batchList == null ? List.of(model.batchSize) : batchList;
        List<String> outputs = outputList == null ? List.of(model.outputType) : outputList;
        List<Row> rows = new ArrayList<>();
        System.out.println("| model | kernels | threads | batch | output | test | tokens/s | of roofline |");
        System.out.println("|---|---|---:|---:|---|---|---:|---:|");
        for (int t : threads) {
            model.threads = List.of(t);
            bandwidth = 0;
            if (!noRoofline) {
                int n = t == 0 ? Runtime.getRuntime().availableProcessors() : t;
                bandwidth = MemoryBandwidth.measure(1L << 30, n, 4);
                System.err.printf("memory read bandwidth with %d thread(s): %.1f GB/s%n", n, bandwidth / 1e9);
            }
            for (String kernel : kernels)
                for (String output : outputs)
                    for (int batch : batches) {
                        model.ternaryKernel = kernel;
                        model.outputType = output;
                        model.batchSize = batch;
                        runTests(rows);
                    }
        }
        if (json != null) Files.writeString(json, toJson(rows));
        return 0;
    }

    private double bandwidth;
    private long bytesPerToken;

    /** Every pp and tg test on one configuration (one model load). */
    private void runTests(List<Row> rows) throws IOException {
        try (Model m = model.load(System.err)) {
            bytesPerToken = m.weightBytesPerToken();
            String name = model.modelPath().getFileName().toString();
            for (int p : prompts) if (p > 0) rows.add(print(name, measure(m, "pp" + p, p, true)));
            for (int n : gens)
                for (int sessions : sessionCounts)
                    if (n > 0) rows.add(print(name, sessions == 1 ? measure(m, "tg" + n, n, false) : measureBatched(m, n, sessions)));
        }
    }

    private Row print(String name, Row r) {
        String roof = r.roofline() > 0 ? String.format("%.0f %%", 100 * r.roofline()) : "";
        System.out.printf("| %s | %s | %d | %d | %s | %s | %.2f ± %.2f | %s |%n", name, r.kernels(), r.threads(), r.batch(), r.output(),
                r.test(), r.mean(), r.sd(), roof);
        return r;
    }

    /** A generation rate as a fraction of the bandwidth ceiling (bytes read per token / bandwidth). */
    private double roofline(double tokensPerSecond, int sessionsPerPass) {
        if (bandwidth <= 0) return 0;
        return tokensPerSecond / sessionsPerPass / (bandwidth / bytesPerToken);
    }

    private Row measure(Model m, String test, int n, boolean prompt) {
        if (n >= m.config().contextLength()) throw new CliException(test + " needs more context than the model's " + m.config().contextLength());
        var rnd = new SplittableRandom(42);
        int[] tokens = rnd.ints(n, 0, m.config().vocabSize()).toArray();
        List<Double> samples = new ArrayList<>();
        try (Session s = m.newSession(Math.min(m.config().contextLength(), n + 1))) {
            for (int r = -1; r < repetitions; r++) { // r = -1 warms up
                s.reset();
                long start = System.nanoTime();
                if (prompt) s.prefill(tokens);
                else for (int tok : tokens) s.decode(tok);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (r >= 0) samples.add(n / seconds);
            }
        }
        return row(test, m, samples, prompt ? 0 : 1);
    }

    /** Aggregate generation rate of {@code sessions} sessions stepping together, n tokens each. */
    private Row measureBatched(Model m, int n, int sessions) {
        if (sessions < 1 || sessions > 512) throw new CliException("--sessions must be between 1 and 512, got " + sessions);
        var rnd = new SplittableRandom(7);
        List<Double> samples = new ArrayList<>();
        List<Session> open = new ArrayList<>();
        try (BatchDecoder batch = m.newBatchDecoder(sessions)) {
            for (int i = 0; i < sessions; i++) open.add(m.newSession(Math.min(m.config().contextLength(), n + 1)));
            int[] tokens = new int[sessions];
            for (int r = -1; r < repetitions; r++) {
                for (Session s : open) s.reset();
                long start = System.nanoTime();
                for (int step = 0; step < n; step++) {
                    for (int i = 0; i < sessions; i++) tokens[i] = rnd.nextInt(m.config().vocabSize());
                    batch.step(open, tokens);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (r >= 0) samples.add((double) n * sessions / seconds);
            }
        } finally {
            open.forEach(Session::close);
        }
        return row("tg" + n + " x" + sessions + " sessions", m, samples, sessions);
    }

    /** Mean and sample standard deviation of the repetitions; the roofline fraction for generation tests
     *  (sessionsPerPass > 0), none for prompt tests. */
    private Row row(String test, Model m, List<Double> samples, int sessionsPerPass) {
        double mean = samples.stream().mapToDouble(d -> d).average().orElse(0);
        double sd = Math.sqrt(samples.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / Math.max(1, samples.size() - 1));
        return new Row(test, m.threads(), m.describe().get("kernels"), m.options().batchSize(), m.options().outputType().id(), mean, sd, samples,
                sessionsPerPass > 0 ? roofline(mean, sessionsPerPass) : 0);
    }

    private static String toJson(List<Row> rows) {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            b.append(String.format("  {\"test\": \"%s\", \"threads\": %d, \"kernels\": \"%s\", \"batch\": %d, \"output\": \"%s\", "
                            + "\"tokens_per_second\": %.3f, \"sd\": %.3f, \"roofline_fraction\": %.3f, \"samples\": %s}%s%n",
                    r.test(), r.threads(), r.kernels(), r.batch(), r.output(), r.mean(), r.sd(), r.roofline(), r.samples(),
                    i + 1 < rows.size() ? "," : ""));
        }
        return b.append("]\n").toString();
    }
}
