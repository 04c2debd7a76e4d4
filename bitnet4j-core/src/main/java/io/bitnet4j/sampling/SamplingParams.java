package io.bitnet4j.sampling;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Plain carrier of sampling settings, with llama.cpp-like meanings. Validation happens when a chain is built
 * from it ({@link SamplerChain#from(SamplingParams)}), so the rules live in one place. Serializable, so that
 * settings can travel to where generation runs (e.g. Spark executors).
 *
 * @param temperature      softmax temperature; {@code <= 0} means greedy (argmax)
 * @param topK             keep the K most likely tokens; {@code 0} disables
 * @param topP             nucleus: keep the smallest prefix whose probability reaches P; {@code 1} disables
 * @param minP             drop tokens whose probability is below {@code minP * p(max)}; {@code 0} disables
 * @param repeatPenalty    divides positive / multiplies negative logits of recent tokens; {@code 1} disables
 * @param repeatLastN      how many recent tokens the three penalties look at; {@code 0} disables them
 * @param frequencyPenalty subtracted once per occurrence in the window; {@code 0} disables
 * @param presencePenalty  subtracted once if the token occurs in the window; {@code 0} disables
 * @param seed             random seed; same seed and same logits give the same tokens
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repeatPenalty,
        int repeatLastN, float frequencyPenalty, float presencePenalty, long seed) implements java.io.Serializable {

    /** llama.cpp-like defaults with a fresh random seed (use {@link #withSeed} for reproducible runs). */
    public static SamplingParams defaults() {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, ThreadLocalRandom.current().nextLong());
    }

    /** Deterministic argmax decoding: no filters, no penalties. */
    public static SamplingParams greedyParams() {
        return new SamplingParams(0f, 0, 1f, 0f, 1.0f, 64, 0f, 0f, 0L);
    }

    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
                presencePenalty, newSeed);
    }

    public SamplingParams withTemperature(float newTemperature) {
        return new SamplingParams(newTemperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
                presencePenalty, seed);
    }
}
