package io.bitnet4j.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference over Spark datasets with a BitNet b1.58 model: each executor JVM loads the model once and
 * shares it between its tasks; rows are decoded together in the executor's
 * {@link io.bitnet4j.generation.BatchGenerator} (continuous batching: a row joins the batch as soon as a place
 * is free, from any of the executor's tasks).
 *
 * <pre>{@code
 * BitNetSpark bitnet = BitNetSpark.of(ExecutorModelSpec.of("/models/ggml-model-i2_s.gguf").withThreads(4));
 * Dataset<Row> done = bitnet.generate(prompts, "prompt", GenerateOptions.builder().maxTokens(32).build());
 * Dataset<Row> scored = bitnet.score(reviews, "text", "labels");
 * bitnet.registerFunctions(spark);  // SELECT bitnet_generate(prompt).completion FROM t
 * }</pre>
 *
 * A row that cannot be processed (null prompt, prompt longer than the context) gets null results and the reason
 * in the {@link Columns#ERROR} column; the job goes on.
 */
public final class BitNetSpark implements Serializable {
    private final ExecutorModelSpec spec;

    private BitNetSpark(ExecutorModelSpec spec) {
        this.spec = spec;
    }

    /**
     * Checks the model on the driver (the file exists here or was shipped with the job, and is a usable BitNet
     * GGUF file); executors load it when their first task needs it.
     *
     * @throws IllegalArgumentException naming the file and the problem
     */
    public static BitNetSpark of(ExecutorModelSpec spec) {
        Objects.requireNonNull(spec, "spec").checkOnDriver();
        return new BitNetSpark(spec);
    }

    public ExecutorModelSpec modelSpec() {
        return spec;
    }

    /** {@link #generate(Dataset, String, GenerateOptions)} with {@link GenerateOptions#defaults()}. */
    public Dataset<Row> generate(Dataset<Row> rows, String promptColumn) {
        return generate(rows, promptColumn, GenerateOptions.defaults());
    }

    /**
     * The rows with a completion of each prompt: columns {@link Columns#COMPLETION}, {@link Columns#PROMPT_TOKENS},
     * {@link Columns#COMPLETION_TOKENS}, {@link Columns#FINISH_REASON} and {@link Columns#ERROR} appended (after
     * the options' prefix). Lazy, like every transformation.
     */
    public Dataset<Row> generate(Dataset<Row> rows, String promptColumn, GenerateOptions options) {
        StructType in = rows.schema();
        int prompt = stringColumn(in, promptColumn);
        int key = options.keyColumn() == null ? -1 : column(in, options.keyColumn());
        StructType out = appended(in, Columns.generated(options.columnPrefix()), "GenerateOptions.columnPrefix");
        return rows.mapPartitions(new PartitionTasks.Generate(spec, options, prompt, key), Encoders.row(out));
    }

    /** {@link #score(Dataset, String, String, ScoreOptions)} with the plain column names. */
    public Dataset<Row> score(Dataset<Row> rows, String promptColumn, String candidatesColumn) {
        return score(rows, promptColumn, candidatesColumn, ScoreOptions.defaults());
    }

    /**
     * The rows with the log-probability of each candidate (an array of strings) continuing the prompt: columns
     * {@link Columns#LOGPROBS}, {@link Columns#CANDIDATE_TOKENS}, {@link Columns#BEST_CANDIDATE} and
     * {@link Columns#ERROR} appended. The prompt is evaluated once per row; candidates start from its state.
     */
    public Dataset<Row> score(Dataset<Row> rows, String promptColumn, String candidatesColumn, ScoreOptions options) {
        StructType in = rows.schema();
        int prompt = stringColumn(in, promptColumn);
        int candidates = column(in, candidatesColumn);
        if (!(in.fields()[candidates].dataType() instanceof ArrayType a) || !(a.elementType() instanceof StringType))
            throw new IllegalArgumentException("column '" + candidatesColumn + "' must be an array of strings, not " + in.fields()[candidates].dataType().simpleString());
        StructType out = appended(in, Columns.scored(options.columnPrefix()), "ScoreOptions.columnPrefix");
        return rows.mapPartitions(new PartitionTasks.Score(spec, prompt, candidates), Encoders.row(out));
    }

    /** {@link #registerFunctions(SparkSession, GenerateOptions)} with {@link GenerateOptions#defaults()}. */
    public void registerFunctions(SparkSession spark) {
        registerFunctions(spark, GenerateOptions.defaults());
    }

    /**
     * Registers the SQL functions {@code bitnet_generate(prompt)} (a struct of the generate columns) and
     * {@code bitnet_score(prompt, candidates)} (a struct of the score columns). A SQL function sees one row at a
     * time, so each task has one row decoding (the executor's tasks still decode together); {@link #generate}
     * keeps a batch of each partition's rows going and is faster. Rows are keyed by their prompt (no key column).
     */
    public void registerFunctions(SparkSession spark, GenerateOptions options) {
        spark.udf().register("bitnet_generate", new PartitionTasks.GenerateFunction(spec, options), Columns.generated(""));
        spark.udf().register("bitnet_score", new PartitionTasks.ScoreFunction(spec), Columns.scored(""));
    }

    private static int column(StructType schema, String name) {
        for (int i = 0; i < schema.fields().length; i++) if (schema.fields()[i].name().equals(name)) return i;
        throw new IllegalArgumentException("no column '" + name + "' in " + Arrays.toString(schema.fieldNames()));
    }

    private static int stringColumn(StructType schema, String name) {
        int i = column(schema, name);
        if (!(schema.fields()[i].dataType() instanceof StringType))
            throw new IllegalArgumentException("column '" + name + "' must be a string column, not " + schema.fields()[i].dataType().simpleString());
        return i;
    }

    /** schema followed by added, refusing a name both have. */
    private static StructType appended(StructType schema, StructType added, String prefixOption) {
        StructType out = schema;
        for (StructField f : added.fields()) {
            if (Arrays.asList(schema.fieldNames()).contains(f.name()))
                throw new IllegalArgumentException("the input already has a column '" + f.name() + "': set " + prefixOption + " to tell them apart");
            out = out.add(f);
        }
        return out;
    }
}
