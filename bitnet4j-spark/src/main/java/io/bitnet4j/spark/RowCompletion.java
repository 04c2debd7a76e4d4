package io.bitnet4j.spark;

import io.bitnet4j.generation.Completion;
import java.util.Locale;

/**
 * One row's generate result: the completion and its counts, or (all null) the error that kept the row from
 * being completed.
 */
record RowCompletion(String text, Integer promptTokens, Integer completionTokens, String finishReason, String error) {

    static RowCompletion of(Completion c) {
        return new RowCompletion(c.text(), c.promptTokens(), c.completionTokens(), c.stopReason().name().toLowerCase(Locale.ROOT), null);
    }

    static RowCompletion failed(String error) {
        return new RowCompletion(null, null, null, null, error);
    }

    /** The values of {@link Columns#generated}, in order. */
    Object[] values() {
        return new Object[] {text, promptTokens, completionTokens, finishReason, error};
    }
}
