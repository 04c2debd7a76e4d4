package io.bitnet4j.sampling;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A llama.cpp-style sampler chain with a fixed stage order:
 * penalties -> top-k -> top-p -> min-p -> temperature -> softmax -> draw.
 *
 * <p>Stages that are switched off cost nothing; with temperature {@code <= 0} (or {@link Builder#greedy()})
 * the filters are skipped entirely, since argmax survives every one of them. Greedy picks the lowest id among
 * equal maxima.
 *
 * <p>Top-p and min-p are measured on the temperature-1 distribution (they come before temperature), as in
 * llama.cpp's default order.
 *
 * <p>Allocation: all scratch is sized to the vocabulary at construction ({@link Builder#vocabSize}) or on the
 * first call with a larger vocabulary; afterwards {@link #sample} allocates nothing. Scratch is about 24 bytes
 * per vocabulary entry (3 MB at 128256), plus 4 bytes per entry when penalties are on.
 *
 * <p>Cost per call at vocabulary V: greedy is one O(V) scan; with top-k it is two O(V) passes plus
 * O(k log k); top-p without top-k adds one exp per token (its normaliser needs the whole vocabulary) and sorts
 * only the tokens near the top; with neither, the draw itself needs one exp per token. The whole vocabulary is
 * sorted only when the nucleus is essentially all of it (very flat logits).
 *
 * <p>Number semantics: NaN logits are treated as -Infinity (never chosen); -Infinity masks a token;
 * +Infinity is treated as the largest finite float. If no logit is usable, {@code sample} throws
 * {@link IllegalArgumentException}. The logits array is modified in place (penalties, the NaN/Infinity
 * rewrites). Not thread-safe.
 */
public final class SamplerChain implements Sampler {
    /** Modern, fast, statistically strong, and its output for a seed is specified by the JDK. */
    private static final RandomGeneratorFactory<RandomGenerator> RNG_FACTORY =
            RandomGeneratorFactory.of("L64X128MixRandom");

    private final Penalties penalties;
    private final int topK;
    private final float topP;
    private final float minP;
    private final float temperature;
    private final long seed;
    private final CandidateSet candidates = new CandidateSet();
    private RandomGenerator rng;

    private SamplerChain(Builder b) {
        this.penalties = new Penalties(b.repeatPenalty, b.frequencyPenalty, b.presencePenalty, b.repeatLastN);
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.temperature = b.temperature;
        this.seed = b.seed;
        this.rng = newRng(seed);
        if (b.vocabSize > 0) ensureCapacity(b.vocabSize);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a chain from a parameter record; throws {@link IllegalArgumentException} on invalid values. */
    public static SamplerChain from(SamplingParams p) {
        return configure(p).build();
    }

    /** Like {@link #from(SamplingParams)}, with scratch preallocated so even the first call allocates nothing. */
    public static SamplerChain from(SamplingParams p, int vocabSize) {
        return configure(p).vocabSize(vocabSize).build();
    }

    private static Builder configure(SamplingParams p) {
        Objects.requireNonNull(p, "params");
        return builder()
                .repetitionPenalty(p.repeatPenalty(), p.repeatLastN())
                .frequencyPenalty(p.frequencyPenalty())
                .presencePenalty(p.presencePenalty())
                .topK(p.topK())
                .topP(p.topP())
                .minP(p.minP())
                .temperature(p.temperature())
                .seed(p.seed());
    }

    @Override
    public int sample(float[] logits, int vocabSize) {
        checkArguments(logits, vocabSize);
        ensureCapacity(vocabSize);
        if (!penalties.isNoOp()) penalties.apply(logits, vocabSize);
        candidates.scan(logits, vocabSize);
        if (isGreedy()) return candidates.argmax();
        candidates.filter(logits, vocabSize, topK, topP, minP);
        return candidates.draw(logits, temperature, rng);
    }

    /**
     * Runs every stage except the draw and returns the surviving token ids in ascending order. Allocates; meant
     * for tests and diagnostics, not the decode loop. Greedy chains report the single argmax.
     */
    int[] candidateIds(float[] logits, int vocabSize) {
        checkArguments(logits, vocabSize);
        ensureCapacity(vocabSize);
        if (!penalties.isNoOp()) penalties.apply(logits, vocabSize);
        candidates.scan(logits, vocabSize);
        if (isGreedy()) return new int[] {candidates.argmax()};
        candidates.filter(logits, vocabSize, topK, topP, minP);
        int[] ids = new int[candidates.count()];
        for (int i = 0; i < ids.length; i++) ids[i] = candidates.id(i);
        java.util.Arrays.sort(ids);
        return ids;
    }

    @Override
    public void accept(int token) {
        if (token < 0) throw new IllegalArgumentException("token id must be >= 0, got " + token);
        penalties.accept(token);
    }

    @Override
    public void reset() {
        penalties.reset();
        rng = newRng(seed);
    }

    public boolean isGreedy() {
        return temperature <= 0f;
    }

    private void ensureCapacity(int vocabSize) {
        candidates.ensureCapacity(vocabSize);
        if (!penalties.isNoOp()) penalties.ensureCapacity(vocabSize);
    }

    private static void checkArguments(float[] logits, int vocabSize) {
        Objects.requireNonNull(logits, "logits");
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize must be > 0, got " + vocabSize);
        if (logits.length < vocabSize)
            throw new IllegalArgumentException("logits.length " + logits.length + " < vocabSize " + vocabSize);
    }

    private static RandomGenerator newRng(long seed) {
        return RNG_FACTORY.create(seed);
    }

    /**
     * Collects and validates settings. Everything starts switched off except temperature 1 (plain softmax
     * sampling); the seed is random unless {@link #seed} is called. Call order does not change stage order.
     */
    public static final class Builder {
        private float repeatPenalty = 1f;
        private int repeatLastN = 64;
        private float frequencyPenalty = 0f;
        private float presencePenalty = 0f;
        private int topK = 0;
        private float topP = 1f;
        private float minP = 0f;
        private float temperature = 1f;
        private long seed = ThreadLocalRandom.current().nextLong();
        private int vocabSize = 0;

        /** The window is preallocated; this cap turns a typo into a clear error instead of an OutOfMemoryError. */
        private static final int MAX_LAST_N = 1 << 20;

        private Builder() {}

        /** Divide positive / multiply negative logits of tokens among the last {@code lastN} by {@code penalty}
         * (1 = off). {@code lastN} is also the window of the frequency and presence penalties (0 = all off). */
        public Builder repetitionPenalty(float penalty, int lastN) {
            if (!(penalty > 0f) || !Float.isFinite(penalty))
                throw new IllegalArgumentException("repetition penalty must be finite and > 0 (1 = off), got " + penalty);
            if (lastN < 0) throw new IllegalArgumentException("repetition lastN must be >= 0 (0 = off), got " + lastN);
            if (lastN > MAX_LAST_N)
                throw new IllegalArgumentException("repetition lastN must be <= " + MAX_LAST_N + ", got " + lastN);
            this.repeatPenalty = penalty;
            this.repeatLastN = lastN;
            return this;
        }

        /** Subtract {@code penalty} per occurrence in the penalty window (0 = off; negative encourages). */
        public Builder frequencyPenalty(float penalty) {
            this.frequencyPenalty = finite("frequency penalty", penalty);
            return this;
        }

        /** Subtract {@code penalty} once if the token occurs in the penalty window (0 = off). */
        public Builder presencePenalty(float penalty) {
            this.presencePenalty = finite("presence penalty", penalty);
            return this;
        }

        /** Keep the {@code k} highest logits (0 = off). */
        public Builder topK(int k) {
            if (k < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + k);
            this.topK = k;
            return this;
        }

        /** Keep the smallest most-likely prefix with probability mass >= p; p in (0, 1], 1 = off. */
        public Builder topP(float p) {
            if (!(p > 0f && p <= 1f)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + p);
            this.topP = p;
            return this;
        }

        /** Drop tokens with probability below {@code p * p(max)}; p in [0, 1], 0 = off. */
        public Builder minP(float p) {
            if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + p);
            this.minP = p;
            return this;
        }

        /** Softmax temperature; {@code <= 0} means greedy. */
        public Builder temperature(float t) {
            if (Float.isNaN(t) || t == Float.POSITIVE_INFINITY)
                throw new IllegalArgumentException("temperature must be a finite number (<= 0 = greedy), got " + t);
            this.temperature = t;
            return this;
        }

        /** Always take the most likely token (lowest id on ties). Same as {@code temperature(0)}. */
        public Builder greedy() {
            this.temperature = 0f;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Optional: preallocate scratch for this vocabulary now instead of on the first {@code sample}. */
        public Builder vocabSize(int vocabSize) {
            if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize must be > 0, got " + vocabSize);
            this.vocabSize = vocabSize;
            return this;
        }

        public SamplerChain build() {
            return new SamplerChain(this);
        }

        private static float finite(String what, float value) {
            if (!Float.isFinite(value)) throw new IllegalArgumentException(what + " must be finite, got " + value);
            return value;
        }
    }
}
