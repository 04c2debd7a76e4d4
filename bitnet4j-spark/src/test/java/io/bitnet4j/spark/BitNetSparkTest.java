package io.bitnet4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.model.Numerics;
import io.bitnet4j.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * generate and score in Spark local[2] over a few hundred prompts on the bundled model: results equal to the
 * same requests through the plain Java API, whatever the partitioning and the row order.
 *
 * <p>With the default (fast) numerics, a batched decode step sums the output projection in another order than a
 * lone row's (logits about 1e-6 apart), so equality holds unless a row meets a near-tie that close; these rows
 * meet none. Exact numerics make it hold by construction ({@link #exactNumericsMakeBatchingInvisible}).
 */
class BitNetSparkTest {
    static final int ROWS = 240;
    static SparkSession spark;
    static List<String> prompts;
    static BitNetSpark bitnet;

    @BeforeAll
    static void start() throws Exception {
        spark = Fixtures.local("bitnet4j-spark-test");
        prompts = Fixtures.prompts(ROWS);
        bitnet = BitNetSpark.of(Fixtures.spec());
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** The same rows in 1 and in 8 partitions, and shuffled: every completion equals the Java API's. */
    private static void assertPartitionAndOrderIndependent(GenerateOptions o, Map<Long, Fixtures.Done> expected) {
        Dataset<Row> rows = Fixtures.frame(spark, prompts);
        assertEquals(expected, Fixtures.byId(bitnet.generate(rows.repartition(1), "prompt", o)), "1 partition");
        assertEquals(expected, Fixtures.byId(bitnet.generate(rows.repartition(8), "prompt", o)), "8 partitions");
        List<String> shuffled = new ArrayList<>(prompts);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) order.add(i);
        Collections.shuffle(order, new Random(3));
        List<Row> reordered = new ArrayList<>();
        for (int i : order) reordered.add(RowFactory.create((long) i, shuffled.get(i)));
        Dataset<Row> shuffledRows = spark.createDataFrame(reordered, Fixtures.PROMPTS).repartition(3);
        assertEquals(expected, Fixtures.byId(bitnet.generate(shuffledRows, "prompt", o)), "shuffled rows");
    }

    @Test
    void greedyGenerateEqualsJavaApi() throws Exception {
        GenerateOptions o = GenerateOptions.builder().maxTokens(12).batchSize(8).build();
        Map<Long, Fixtures.Done> expected = Fixtures.javaApiGenerate(prompts, o, Numerics.FAST, false);
        assertPartitionAndOrderIndependent(o, expected);
        assertTrue(expected.values().stream().anyMatch(d -> d.finishReason().equals("max_tokens")));
    }

    @Test
    void seededSamplingIsPerRow() throws Exception {
        GenerateOptions o = GenerateOptions.builder().maxTokens(10).batchSize(6).keyColumn("id")
                .sampling(SamplingParams.defaults().withSeed(42).withTemperature(1.0f)).stopStrings(List.of(";")).build();
        Map<Long, Fixtures.Done> expected = Fixtures.javaApiGenerate(prompts, o, Numerics.FAST, true);
        assertPartitionAndOrderIndependent(o, expected);
        // keyed by id, rows with the same prompt draw different completions
        int first = prompts.indexOf(prompts.get(0)), again = prompts.subList(1, ROWS).indexOf(prompts.get(0)) + 1;
        if (again > 0) assertNotEquals(expected.get((long) first).completion(), expected.get((long) again).completion());
        assertTrue(expected.values().stream().anyMatch(d -> d.finishReason().equals("stop_string")), "some row stops at ';'");
    }

    @Test
    void scoreEqualsJavaApi() throws Exception {
        List<String> some = prompts.subList(0, 120);
        Map<Long, List<Double>> expected = Fixtures.javaApiScore(some, Fixtures.LABELS);
        Dataset<Row> rows = Fixtures.frameWithLabels(spark, some);
        for (int partitions : new int[] {1, 8}) {
            Dataset<Row> scored = bitnet.score(rows.repartition(partitions), "prompt", "labels");
            Map<Long, List<Double>> got = Fixtures.logprobsById(scored);
            assertEquals(expected.keySet(), got.keySet());
            for (long id : expected.keySet())
                for (int c = 0; c < Fixtures.LABELS.size(); c++)
                    assertEquals(expected.get(id).get(c), got.get(id).get(c), 1e-9, partitions + " partitions, row " + id + ", candidate " + c);
            for (Row r : scored.collectAsList()) {
                List<Double> lps = r.getList(r.fieldIndex(Columns.LOGPROBS));
                int best = lps.indexOf(Collections.max(lps));
                assertEquals(Fixtures.LABELS.get(best), r.getAs(Columns.BEST_CANDIDATE));
                assertEquals(List.of(1, 1, 1, 1, 3), r.getList(r.fieldIndex(Columns.CANDIDATE_TOKENS)));
            }
        }
    }

    @Test
    void badRowsGetAnErrorNotAFailedJob() {
        String tooLong = String.join(" ", Collections.nCopies(200, "And the LORD spake unto Moses"));
        List<Row> rows = List.of(RowFactory.create(0L, prompts.get(0)), RowFactory.create(1L, null), RowFactory.create(2L, tooLong));
        Map<Long, Fixtures.Done> got = Fixtures.byId(bitnet.generate(spark.createDataFrame(rows, Fixtures.PROMPTS), "prompt",
                GenerateOptions.builder().maxTokens(4).build()));
        assertNull(got.get(0L).error());
        assertEquals(new Fixtures.Done(null, null, null, null, "prompt is null"), got.get(1L));
        assertNull(got.get(2L).completion());
        assertTrue(got.get(2L).error().matches("prompt is \\d+ tokens; the context holds 256 .*"), got.get(2L).error());

        List<Row> scoreRows = List.of(RowFactory.create(0L, prompts.get(0), List.of(" God", "")), RowFactory.create(1L, prompts.get(1), null),
                RowFactory.create(2L, null, Fixtures.LABELS), RowFactory.create(3L, tooLong, Fixtures.LABELS), RowFactory.create(4L, prompts.get(2), List.of()));
        List<Row> scored = bitnet.score(spark.createDataFrame(scoreRows, Fixtures.CANDIDATES), "prompt", "labels").orderBy("id").collectAsList();
        List<String> errors = scored.stream().map(r -> (String) r.getAs(Columns.ERROR)).toList();
        assertEquals("candidate 1 is empty", errors.get(0));
        assertEquals("no candidates", errors.get(1));
        assertEquals("prompt is null", errors.get(2));
        assertTrue(errors.get(3).contains("exceed the context of 256"), errors.get(3));
        assertEquals("no candidates", errors.get(4));
        for (Row r : scored) assertTrue(r.isNullAt(r.fieldIndex(Columns.LOGPROBS)));
    }

    @Test
    void sqlFunctionsMatchTheDatasetApi() throws Exception {
        GenerateOptions o = GenerateOptions.builder().maxTokens(8).build();
        bitnet.registerFunctions(spark, o);
        List<String> some = prompts.subList(0, 24);
        Fixtures.frameWithLabels(spark, some).createOrReplaceTempView("verses");
        Map<Long, Fixtures.Done> expected = Fixtures.javaApiGenerate(some, o, Numerics.FAST, false);
        List<Row> rows = spark.sql("SELECT id, bitnet_generate(prompt) AS g, bitnet_score(prompt, labels) AS s FROM verses").collectAsList();
        Map<Long, List<Double>> expectedScores = Fixtures.javaApiScore(some, Fixtures.LABELS);
        for (Row r : rows) {
            long id = r.getAs("id");
            Row g = r.getAs("g"), s = r.getAs("s");
            assertEquals(expected.get(id), Fixtures.Done.of(g, ""), "row " + id);
            List<Double> lps = s.getList(s.fieldIndex(Columns.LOGPROBS));
            for (int c = 0; c < lps.size(); c++) assertEquals(expectedScores.get(id).get(c), lps.get(c), 1e-9);
        }
        Row nullRow = spark.sql("SELECT bitnet_generate(CAST(NULL AS STRING)) AS g").first().getAs("g");
        assertEquals("prompt is null", nullRow.getAs(Columns.ERROR));
    }

    @Test
    void modelShippedWithTheJobIsFoundByName() throws Exception {
        spark.sparkContext().addFile(Fixtures.MODEL.toString());
        BitNetSpark shipped = BitNetSpark.of(ExecutorModelSpec.of(Fixtures.MODEL.getFileName().toString()).withThreads(1));
        GenerateOptions o = GenerateOptions.builder().maxTokens(8).build();
        List<String> some = prompts.subList(0, 16);
        assertEquals(Fixtures.javaApiGenerate(some, o, Numerics.FAST, false), Fixtures.byId(shipped.generate(Fixtures.frame(spark, some), "prompt", o)));
    }

    @Test
    void missingOrBrokenModelFailsOnTheDriver() {
        var missing = assertThrows(IllegalArgumentException.class, () -> BitNetSpark.of(ExecutorModelSpec.of("/nonexistent/model.gguf")));
        assertTrue(missing.getMessage().contains("model file not found: /nonexistent/model.gguf"), missing.getMessage());
        assertTrue(missing.getMessage().contains("--files"), missing.getMessage());
        var notModel = assertThrows(IllegalArgumentException.class, () -> BitNetSpark.of(ExecutorModelSpec.of(Fixtures.ROOT.resolve("models/README.md").toString())));
        assertTrue(notModel.getMessage().contains("is not a usable BitNet model"), notModel.getMessage());
        var tooLong = assertThrows(IllegalArgumentException.class, () -> BitNetSpark.of(Fixtures.spec().withContextLength(4096)));
        assertTrue(tooLong.getMessage().contains("exceeds the model's 256"), tooLong.getMessage());
    }

    @Test
    void columnsAreChecked() {
        Dataset<Row> rows = Fixtures.frame(spark, prompts.subList(0, 2));
        var notString = assertThrows(IllegalArgumentException.class, () -> bitnet.generate(rows, "id"));
        assertEquals("column 'id' must be a string column, not bigint", notString.getMessage());
        var absent = assertThrows(IllegalArgumentException.class, () -> bitnet.generate(rows, "text"));
        assertEquals("no column 'text' in [id, prompt]", absent.getMessage());
        Dataset<Row> clash = rows.withColumnRenamed("id", Columns.ERROR);
        var twice = assertThrows(IllegalArgumentException.class, () -> bitnet.generate(clash, "prompt"));
        assertTrue(twice.getMessage().contains("GenerateOptions.columnPrefix"), twice.getMessage());
        Dataset<Row> prefixed = bitnet.generate(clash, "prompt", GenerateOptions.builder().maxTokens(2).columnPrefix("gen_").build());
        assertEquals(List.of(Columns.ERROR, "prompt", "gen_completion", "gen_prompt_tokens", "gen_completion_tokens", "gen_finish_reason", "gen_error"),
                List.of(prefixed.schema().fieldNames()));
        var notArray = assertThrows(IllegalArgumentException.class, () -> bitnet.score(rows, "prompt", "prompt"));
        assertEquals("column 'prompt' must be an array of strings, not string", notArray.getMessage());
    }

    /** Exact numerics: a row's logits are bit-identical whatever rows decode beside it (checked on fewer rows: slower). */
    @Test
    void exactNumericsMakeBatchingInvisible() throws Exception {
        BitNetSpark exact = BitNetSpark.of(Fixtures.spec().withNumerics(Numerics.EXACT));
        GenerateOptions o = GenerateOptions.builder().maxTokens(8).sampling(SamplingParams.defaults().withSeed(5)).build();
        List<String> some = prompts.subList(0, 48);
        Map<Long, Fixtures.Done> expected = Fixtures.javaApiGenerate(some, o, Numerics.EXACT, false);
        Dataset<Row> rows = Fixtures.frame(spark, some);
        assertEquals(expected, Fixtures.byId(exact.generate(rows.repartition(1), "prompt", o)), "1 partition");
        assertEquals(expected, Fixtures.byId(exact.generate(rows.repartition(8), "prompt", o)), "8 partitions");
    }
}
