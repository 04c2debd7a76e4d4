package io.bitnet4j.sampling;

/**
 * Picks the next token from a vector of logits.
 *
 * <p>Implementations are stateful (penalty history, random generator) and not thread-safe: use one per
 * generation stream.
 */
public interface Sampler {

    /**
     * Chooses a token id in {@code [0, vocabSize)}.
     *
     * @param logits a reusable buffer owned by the caller, of length at least {@code vocabSize}; only the first
     *               {@code vocabSize} entries are read. The sampler MAY overwrite entries in place (penalties,
     *               NaN clean-up), so the caller must not rely on its contents after the call.
     * @param vocabSize number of valid logits
     * @return the chosen token id
     * @throws IllegalArgumentException if the arguments are inconsistent or no logit is a usable number
     */
    int sample(float[] logits, int vocabSize);

    /** Records a token that became part of the context (prompt or generated), for repetition penalties. */
    void accept(int token);

    /** Forgets the token history and restarts the random sequence from the configured seed. */
    void reset();
}
