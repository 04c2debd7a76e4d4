package io.bitnet4j.generation;

import io.bitnet4j.generation.Generator.StopReason;

/**
 * What a {@link BatchGenerator} request produced.
 *
 * @param text               the generated text (cut before a matched stop string)
 * @param tokens             the generated token ids, a final end-of-generation token included
 * @param promptTokens       tokens in the prompt
 * @param cachedPromptTokens prompt tokens whose KV cache was reused from an earlier request instead of read again
 * @param stopReason         why generation ended
 * @param queueNanos         time from submission until a session was free for the request
 * @param firstTokenNanos    time from submission until the first generated token
 * @param totalNanos         time from submission until the last token
 */
public record Completion(String text, int[] tokens, int promptTokens, int cachedPromptTokens, StopReason stopReason,
        long queueNanos, long firstTokenNanos, long totalNanos) {

    public int completionTokens() {
        return tokens.length;
    }

    /** Generated tokens per second after the first one (which the prompt pass produces). */
    public double tokensPerSecond() {
        long nanos = totalNanos - firstTokenNanos;
        return tokens.length < 2 || nanos <= 0 ? 0 : (tokens.length - 1) * 1e9 / nanos;
    }
}
