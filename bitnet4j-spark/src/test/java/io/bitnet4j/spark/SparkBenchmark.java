package io.bitnet4j.spark;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;

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
 * (one worker each, 1 core, a model thread per executor), rows decoded in batches and one at a time. Each
 * configuration runs a warm-up job (executor start, model load, JIT), then timed jobs; the median and the range
 * are printed. Run with scripts/spark-bench.sh (docs/spark.md).
 */
public final class SparkBenchmark {
    private SparkBenchmark() {}

    record Config(Path model, int rows, int maxTokens, int repeats, int batch, List<Integer> executors) {}

    public static void main(String[] args) throws Exception {
        Config c = parse(args);
        System.out.printf("bitnet4j-spark benchmark: %s, %d rows, up to %d tokens each, greedy, %d timed runs per configuration%n",
                c.model().getFileName(), c.rows(), c.maxTokens(), c.repeats());
        System.out.printf("%-9s %-7s %6s %11s %9s %8s %9s  %s%n", "executors", "batch", "rows", "gen tokens", "seconds", "rows/s", "tokens/s", "runs (s)");
        List<String> prompts = Fixtures.prompts(c.rows());
        for (int executors : c.executors()) {
            Path dir = Files.createTempDirectory("bitnet4j-spark-bench");
            try (StandaloneCluster cluster = StandaloneCluster.start(dir, executors, 1, "1g")) {
                SparkSession spark = SparkSession.builder().master(cluster.masterUrl()).appName("bitnet4j-spark-bench")
                        .config("spark.jars", cluster.applicationJars())
                        .config("spark.executor.cores", 1).config("spark.cores.max", executors).config("spark.executor.memory", "768m")
                        .config("spark.scheduler.minRegisteredResourcesRatio", 1.0).config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
                        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.ui.enabled", false).getOrCreate();
                try {
                    BitNetSpark bitnet = BitNetSpark.of(ModelSource.of(c.model().toString()).withThreads(1));
                    Dataset<Row> rows = Fixtures.frame(spark, prompts).repartition(4 * executors).cache();
                    rows.count();
                    for (int batch : new int[] {c.batch(), 1}) {
                        GenerateOptions o = GenerateOptions.builder().maxTokens(c.maxTokens()).batchSize(batch).build();
                        run(bitnet.generate(rows.limit(8 * executors * batch).repartition(2 * executors), "prompt", o)); // warm-up
                        List<double[]> runs = new ArrayList<>();
                        for (int r = 0; r < c.repeats(); r++) runs.add(run(bitnet.generate(rows, "prompt", o)));
                        report(executors, batch, runs);
                    }
                } finally {
                    spark.stop();
                }
            }
        }
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

    private static Config parse(String[] args) {
        Path model = Fixtures.MODEL;
        int rows = 256, maxTokens = 32, repeats = 3, batch = 8;
        List<Integer> executors = List.of(1, 2);
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--model" -> model = Path.of(value);
                case "--rows" -> rows = Integer.parseInt(value);
                case "--max-tokens" -> maxTokens = Integer.parseInt(value);
                case "--repeats" -> repeats = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--executors" -> executors = Arrays.stream(value.split(",")).map(Integer::parseInt).toList();
                case "-h", "--help" -> {
                    System.out.println("usage: scripts/spark-bench.sh [--model GGUF] [--rows 256] [--max-tokens 32] [--repeats 3] [--batch 8] [--executors 1,2]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
            i++;
        }
        return new Config(model, rows, maxTokens, repeats, batch, executors);
    }
}
