package io.bitnet4j.spark;

/**
 * One row's generate result: the completion and its counts, or (all null) the error that kept the row from
 * being completed.
 */
record Completion(String text, Integer promptTokens, Integer completionTokens, String finishReason, String error) {

    static Completion failed(String error) {
        return new Completion(null, null, null, null, error);
    }

    /** The values of {@link Columns#generated}, in order. */
    Object[] values() {
        return new Object[] {text, promptTokens, completionTokens, finishReason, error};
    }
}
