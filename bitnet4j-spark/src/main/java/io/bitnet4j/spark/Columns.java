package io.bitnet4j.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The columns {@link BitNetSpark} adds (each name after the options' column prefix). Every added column is
 * nullable: a row that could not be processed has nulls and its reason in {@link #ERROR}.
 */
public final class Columns {
    private Columns() {}

    /** generate: the completion text (without a matched stop string). */
    public static final String COMPLETION = "completion";
    /** generate: tokens of the prompt, BOS included. */
    public static final String PROMPT_TOKENS = "prompt_tokens";
    /** generate: tokens generated, a final end-of-generation token included. */
    public static final String COMPLETION_TOKENS = "completion_tokens";
    /** generate: end_of_generation, stop_string, max_tokens or context_full. */
    public static final String FINISH_REASON = "finish_reason";
    /** score: the log-probability (natural log) of each candidate continuing the prompt. */
    public static final String LOGPROBS = "logprobs";
    /** score: tokens of each candidate (to normalise log-probabilities by length). */
    public static final String CANDIDATE_TOKENS = "candidate_tokens";
    /** score: the candidate with the highest log-probability (the first of equals). */
    public static final String BEST_CANDIDATE = "best_candidate";
    /** Both: why the row has no result, or null. */
    public static final String ERROR = "error";

    /** The fields generate adds, in order. */
    static StructType generated(String prefix) {
        return new StructType(new StructField[] {
            field(prefix + COMPLETION, DataTypes.StringType),
            field(prefix + PROMPT_TOKENS, DataTypes.IntegerType),
            field(prefix + COMPLETION_TOKENS, DataTypes.IntegerType),
            field(prefix + FINISH_REASON, DataTypes.StringType),
            field(prefix + ERROR, DataTypes.StringType)});
    }

    /** The fields score adds, in order. */
    static StructType scored(String prefix) {
        return new StructType(new StructField[] {
            field(prefix + LOGPROBS, DataTypes.createArrayType(DataTypes.DoubleType, false)),
            field(prefix + CANDIDATE_TOKENS, DataTypes.createArrayType(DataTypes.IntegerType, false)),
            field(prefix + BEST_CANDIDATE, DataTypes.StringType),
            field(prefix + ERROR, DataTypes.StringType)});
    }

    private static StructField field(String name, org.apache.spark.sql.types.DataType type) {
        return DataTypes.createStructField(name, type, true);
    }
}
