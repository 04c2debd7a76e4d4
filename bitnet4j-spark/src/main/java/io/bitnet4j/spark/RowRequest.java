package io.bitnet4j.spark;

import io.bitnet4j.generation.GenerationRequest;

/**
 * A row's generation request, or the reason the row has none (null, empty or too long prompt): checked before
 * submitting, so that a bad row gets a message in its error column instead of failing the task.
 */
record RowRequest(GenerationRequest request, String problem) {

    /** The request for prompt, its sampler seeded from key (see {@link GenerateOptions#seedFor}). */
    static RowRequest of(ExecutorModel executor, GenerateOptions options, String prompt, String key) {
        if (prompt == null) return problem("prompt is null");
        int[] ids = executor.tokenizer.encodeWithBos(prompt, false);
        if (ids.length == 0) return problem("prompt is empty (and the model adds no BOS token)");
        if (ids.length > executor.contextLength)
            return problem("prompt is " + ids.length + " tokens; the context holds " + executor.contextLength + " (ExecutorModelSpec.withContextLength)");
        return new RowRequest(new GenerationRequest(ids, options.maxTokens(), options.stopStrings(), options.samplingFor(key), null), null);
    }

    private static RowRequest problem(String why) {
        return new RowRequest(null, why);
    }
}
