package io.bitnet4j.spark;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;

import io.bitnet4j.model.Model;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Rows/s and tokens/s of {@link BitNetSpark#generate} on a standalone cluster on this machine: 1 and 2 executors
 * (one worker each, 1 core, a model thread per executor), rows decoded in batches and one at a time. For each
 * executor count, every batch setting first runs once untimed (executor start, model load, JIT), then the timed
 * rounds alternate between the settings, so that a drift of the shared machine hits both; the median and every
 * run are printed. Run with scripts/spark-bench.sh (docs/spark.md).
 */
public final class SparkBenchmark {
    private SparkBenchmark() {}

    record Config(Path model, int rows, int maxTokens, int repeats, int batch, List<Integer> executors) {}

    /**
     * --synthetic: random weights in the 2B4T layout at a mid size (403M ternary weights, 32000-token vocabulary,
     * about 200 MB): too large for the caches, so a decode step is bound by memory as with real models, unlike the
     * bundled 4M-parameter model, which stays in cache.
     */
    static final SyntheticModel.Spec MID_SIZE = new SyntheticModel.Spec("bitnet-b1.58", 32000, 1536, 16, 12, 4, 4096, 512, 500000f, 1e-5f);

    public static void main(String[] args) throws Exception {
        Config c = parse(args);
        System.out.printf("bitnet4j-spark benchmark: %s, %d rows, up to %d tokens each, greedy, %d timed runs per configuration%n",
                c.model().getFileName(), c.rows(), c.maxTokens(), c.repeats());
        try (Model m = Model.load(c.model(), Model.Options.builder().threads(1).build())) {
            System.out.println("model: " + m.describe().get("shape") + "; kernels: " + m.kernelsDescription() + "; CPU: " + cpu());
        }
        System.out.printf("%-9s %-7s %6s %11s %9s %8s %9s  %s%n", "executors", "batch", "rows", "gen tokens", "seconds", "rows/s", "tokens/s", "runs (s)");
        List<String> prompts = Fixtures.prompts(c.rows());
        for (int executors : c.executors()) {
            Path dir = Files.createTempDirectory("bitnet4j-spark-bench");
            try (StandaloneCluster cluster = StandaloneCluster.start(dir, executors, 1, "1g")) {
                SparkSession spark = SparkSession.builder().master(cluster.masterUrl()).appName("bitnet4j-spark-bench")
                        .config("spark.jars", cluster.applicationJars()).config("spark.executor.extraJavaOptions", cluster.executorJavaOptions())
                        .config("spark.executor.cores", 1).config("spark.cores.max", executors).config("spark.executor.memory", "768m")
                        .config("spark.scheduler.minRegisteredResourcesRatio", 1.0).config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
                        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.ui.enabled", false).getOrCreate();
                try {
                    BitNetSpark bitnet = BitNetSpark.of(ExecutorModelSpec.of(c.model().toString()).withThreads(1));
                    Dataset<Row> rows = Fixtures.frame(spark, prompts).repartition(4 * executors).cache();
                    rows.count();
                    int[] batches = {c.batch(), 1};
                    List<List<double[]>> runs = new ArrayList<>();
                    for (int batch : batches) {
                        run(bitnet.generate(rows, "prompt", options(c, batch))); // warm-up
                        runs.add(new ArrayList<>());
                    }
                    for (int r = 0; r < c.repeats(); r++)
                        for (int b = 0; b < batches.length; b++) runs.get(b).add(run(bitnet.generate(rows, "prompt", options(c, batches[b]))));
                    for (int b = 0; b < batches.length; b++) report(executors, batches[b], runs.get(b));
                } finally {
                    spark.stop();
                }
            } finally {
                deleteTree(dir);
            }
        }
    }

    /** The cluster's folder (links to Spark's jars, logs, the workers' work directories), after the cluster stopped. */
    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static GenerateOptions options(Config c, int batch) {
        return GenerateOptions.builder().maxTokens(c.maxTokens()).batchSize(batch).build();
    }

    private static String cpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?") + ", " + Runtime.getRuntime().availableProcessors() + " processors";
        } catch (java.io.IOException e) {
            return Runtime.getRuntime().availableProcessors() + " processors";
        }
    }

    /** The mid-size synthetic model, written once into the module's target folder. */
    private static Path syntheticModel() throws java.io.IOException {
        Path file = Fixtures.ROOT.resolve("bitnet4j-spark/target/bench-synthetic-mid.gguf");
        if (!Files.exists(file)) {
            System.out.println("writing " + MID_SIZE + " to " + file);
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            SyntheticModel.write(partial, MID_SIZE, null, 7);
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return file;
    }

    /** {seconds, rows, generated tokens} of one job. */
    private static double[] run(Dataset<Row> generated) {
        long start = System.nanoTime();
        Row totals = generated.agg(count("*"), sum(Columns.COMPLETION_TOKENS)).first();
        return new double[] {(System.nanoTime() - start) / 1e9, totals.getLong(0), totals.getLong(1)};
    }

    private static void report(int executors, int batch, List<double[]> runs) {
        double[] seconds = runs.stream().mapToDouble(r -> r[0]).sorted().toArray();
        double median = seconds[seconds.length / 2];
        double rows = runs.get(0)[1], tokens = runs.get(0)[2];
        StringBuilder each = new StringBuilder();
        for (double[] r : runs) each.append(each.isEmpty() ? "" : ", ").append(String.format("%.1f", r[0]));
        System.out.printf("%-9d %-7d %6.0f %11.0f %9.1f %8.1f %9.1f  %s%n", executors, batch, rows, tokens, median, rows / median, tokens / median, each);
    }

    private static Config parse(String[] args) throws java.io.IOException {
        Path model = Fixtures.MODEL;
        int rows = 256, maxTokens = 32, repeats = 3, batch = 8;
        List<Integer> executors = List.of(1, 2);
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--model" -> model = Path.of(value);
                case "--synthetic" -> {
                    model = syntheticModel();
                    i--; // takes no value
                }
                case "--rows" -> rows = Integer.parseInt(value);
                case "--max-tokens" -> maxTokens = Integer.parseInt(value);
                case "--repeats" -> repeats = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--executors" -> executors = Arrays.stream(value.split(",")).map(Integer::parseInt).toList();
                case "-h", "--help" -> {
                    System.out.println("usage: scripts/spark-bench.sh [--model GGUF | --synthetic] [--rows 256] [--max-tokens 32] [--repeats 3] [--batch 8] [--executors 1,2]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
            i++;
        }
        return new Config(model, rows, maxTokens, repeats, batch, executors);
    }
}
