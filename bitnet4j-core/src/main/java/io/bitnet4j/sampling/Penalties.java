package io.bitnet4j.sampling;

/**
 * Repetition, frequency and presence penalties over the last N accepted tokens (llama.cpp semantics).
 *
 * <p>For every distinct token t with c occurrences in the window: a positive logit is divided by the repeat
 * penalty and a non-positive one multiplied by it (so the penalty always pushes the token down), then
 * {@code c * frequency + presence} is subtracted. Cost is O(lastN) per call; the whole vocabulary is never
 * touched.
 */
final class Penalties {
    private final float repeat;
    private final float frequency;
    private final float presence;
    /** Ring buffer of the last {@code window.length} accepted tokens. */
    private final int[] window;
    private int size;
    private int next;
    /**
     * Occurrence counts indexed by token id. Kept all-zero between calls, so counting needs no clearing pass
     * over the vocabulary; grown (rarely) when a larger vocabulary shows up.
     */
    private int[] counts = new int[0];

    Penalties(float repeat, float frequency, float presence, int lastN) {
        this.repeat = repeat;
        this.frequency = frequency;
        this.presence = presence;
        this.window = new int[lastN];
    }

    /** True when applying would change nothing, so the chain can skip the stage. */
    boolean isNoOp() {
        return window.length == 0 || (repeat == 1f && frequency == 0f && presence == 0f);
    }

    void ensureCapacity(int vocabSize) {
        if (counts.length < vocabSize) counts = new int[vocabSize];
    }

    void accept(int token) {
        if (window.length == 0) return;
        window[next] = token;
        next = (next + 1) % window.length;
        if (size < window.length) size++;
    }

    void reset() {
        size = 0;
        next = 0;
    }

    /** Penalises the logits of recent tokens in place. Tokens outside the current vocabulary are ignored. */
    void apply(float[] logits, int vocabSize) {
        ensureCapacity(vocabSize);
        countOccurrences(vocabSize);
        for (int j = 0; j < size; j++) {
            int token = window[j];
            if (token >= vocabSize) continue;
            int count = counts[token];
            if (count == 0) continue; // a repeat of a token already penalised in this call
            counts[token] = 0;        // restores the all-zero invariant and marks the token as done
            logits[token] = penalise(logits[token], count);
        }
    }

    private void countOccurrences(int vocabSize) {
        for (int j = 0; j < size; j++) {
            int token = window[j];
            if (token < vocabSize) counts[token]++;
        }
    }

    private float penalise(float logit, int count) {
        float scaled = logit > 0f ? logit / repeat : logit * repeat;
        return scaled - (count * frequency + presence);
    }
}
