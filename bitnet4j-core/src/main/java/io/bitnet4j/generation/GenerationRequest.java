package io.bitnet4j.generation;

import io.bitnet4j.sampling.SamplingParams;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One request to a {@link BatchGenerator}: what to continue, how to sample, when to stop.
 *
 * @param prompt       token ids to continue (BOS included by the caller if wanted); at least one
 * @param maxTokens    tokens to generate at most (0: only read the prompt, which also fills the prompt cache)
 * @param stopStrings  texts that end the generation; the text is cut where the first one begins
 * @param sampling     sampling settings; a generation has its own sampler, seeded with {@code sampling.seed()}
 * @param timeout      how long the request may take from submission to its last token, or null for no limit
 * @param ignoreEos    never sample an end-of-generation token, so only the token limit, a stop string or a full
 *                     context ends the generation (fixed-length outputs for benchmarks, as llama-server's ignore_eos)
 */
public record GenerationRequest(int[] prompt, int maxTokens, List<String> stopStrings, SamplingParams sampling,
        Duration timeout, boolean ignoreEos) {

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token (e.g. BOS) is needed");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must not be negative, got " + maxTokens);
        if (timeout != null && (timeout.isNegative() || timeout.isZero()))
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        prompt = prompt.clone();
        stopStrings = List.copyOf(Objects.requireNonNull(stopStrings, "stopStrings"));
    }

    /** A request that an end-of-generation token ends (as usual). */
    public GenerationRequest(int[] prompt, int maxTokens, List<String> stopStrings, SamplingParams sampling, Duration timeout) {
        this(prompt, maxTokens, stopStrings, sampling, timeout, false);
    }

    /** A request ending at an end-of-generation token, without stop strings or timeout. */
    public static GenerationRequest of(int[] prompt, int maxTokens, SamplingParams sampling) {
        return new GenerationRequest(prompt, maxTokens, List.of(), sampling, null, false);
    }

    public GenerationRequest withStopStrings(List<String> stops) {
        return new GenerationRequest(prompt, maxTokens, stops, sampling, timeout, ignoreEos);
    }

    public GenerationRequest withTimeout(Duration newTimeout) {
        return new GenerationRequest(prompt, maxTokens, stopStrings, sampling, newTimeout, ignoreEos);
    }

    public GenerationRequest withIgnoreEos(boolean ignore) {
        return new GenerationRequest(prompt, maxTokens, stopStrings, sampling, timeout, ignore);
    }

    /** The prompt's ids (a copy). */
    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    /** The prompt without copying, for the generator. */
    int[] promptTokens() {
        return prompt;
    }
}
