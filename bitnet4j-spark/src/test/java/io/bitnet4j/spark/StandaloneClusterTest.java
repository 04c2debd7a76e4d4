package io.bitnet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real standalone cluster: a master and two workers as separate JVMs on 127.0.0.1, two executors
 * (one per worker), the model shipped with the job (spark.files) and found by name on each executor. Its
 * results equal local mode's.
 */
class StandaloneClusterTest {
    static final int ROWS = 120;

    @TempDir
    Path dir;

    /**
     * Executor (its working directory, in its worker's work dir) -> why the native kernels are unavailable there,
     * "null" where they loaded: NativeBackend asked through SQL's java_method (String.valueOf of the result) by 16
     * tasks, which the scheduler spreads over the idle executors.
     */
    private static Map<String, String> nativeUnavailableByExecutor(SparkSession spark) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Row r : spark.sql("SELECT DISTINCT java_method('java.lang.System', 'getProperty', 'user.dir'),"
                + " java_method('io.bitnet4j.kernels.NativeBackend', 'unavailableReason') FROM range(0, 16, 1, 16)").collectAsList())
            out.put(r.getString(0), r.getString(1));
        return out;
    }

    @Test
    void resultsEqualLocalMode() throws Exception {
        List<String> prompts = Fixtures.prompts(ROWS);
        GenerateOptions o = GenerateOptions.builder().maxTokens(8).keyColumn("id")
                .sampling(io.bitnet4j.sampling.SamplingParams.defaults().withSeed(11)).build();
        Map<Long, Fixtures.Done> localGenerated;
        Map<Long, List<Double>> localScores;
        long t0 = System.nanoTime();
        SparkSession local = Fixtures.local("bitnet4j-spark-local");
        try {
            BitNetSpark bitnet = BitNetSpark.of(Fixtures.spec());
            localGenerated = Fixtures.byId(bitnet.generate(Fixtures.frame(local, prompts), "prompt", o));
            localScores = Fixtures.logprobsById(bitnet.score(Fixtures.frameWithLabels(local, prompts.subList(0, 40)), "prompt", "labels"));
        } finally {
            local.stop();
        }
        List<ProcessHandle> processes;
        long t1 = System.nanoTime(), t2, t3;
        try (StandaloneCluster cluster = StandaloneCluster.start(dir, 2, 1, "1g")) {
            t2 = System.nanoTime();
            SparkSession spark = SparkSession.builder().master(cluster.masterUrl()).appName("bitnet4j-spark-cluster")
                    .config("spark.jars", cluster.applicationJars()).config("spark.executor.extraJavaOptions", cluster.executorJavaOptions())
                    .config("spark.files", Fixtures.MODEL.toString())
                    .config("spark.executor.cores", 1).config("spark.cores.max", 2).config("spark.executor.memory", "512m")
                    // both executors up before the first task, so that tasks go to both
                    .config("spark.scheduler.minRegisteredResourcesRatio", 1.0).config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", false)
                    .getOrCreate();
            try {
                Set<String> executors = ConcurrentHashMap.newKeySet();
                spark.sparkContext().addSparkListener(new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd end) {
                        executors.add(end.taskInfo().executorId());
                    }
                });
                BitNetSpark bitnet = BitNetSpark.of(ExecutorModelSpec.of(Fixtures.MODEL.getFileName().toString()).withThreads(1));
                Dataset<Row> rows = Fixtures.frame(spark, prompts).repartition(6);
                try {
                    assertEquals(localGenerated, Fixtures.byId(bitnet.generate(rows, "prompt", o)));
                    Map<Long, List<Double>> scores = Fixtures.logprobsById(bitnet.score(Fixtures.frameWithLabels(spark, prompts.subList(0, 40)).repartition(4), "prompt", "labels"));
                    assertEquals(localScores, scores);
                    assertEquals(2, executors.size(), "tasks ran on both executors: " + executors);
                    Map<String, String> natives = nativeUnavailableByExecutor(spark);
                    assertEquals(2, natives.size(), "both executors answered: " + natives);
                    natives.forEach((executor, unavailable) -> assertEquals("null", unavailable, executor + " runs without the native kernels"));
                    processes = cluster.processes();
                    assertEquals(5, processes.size(), "master, 2 workers, 2 executors: " + processes);
                } catch (AssertionError | Exception e) { // a failed job is a SparkException, a checked exception
                    throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
                }
            } finally {
                spark.stop();
            }
            t3 = System.nanoTime();
        }
        // where the time goes (the test is part of every CI run)
        System.out.printf("StandaloneClusterTest: local reference %.1f s, cluster start %.1f s, jobs %.1f s, stop %.1f s%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (System.nanoTime() - t3) / 1e9);
        for (ProcessHandle p : processes) assertFalse(p.isAlive(), "process " + p.pid() + " still runs");
    }
}
