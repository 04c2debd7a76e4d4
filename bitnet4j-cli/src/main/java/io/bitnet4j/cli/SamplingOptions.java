package io.bitnet4j.cli;

import io.bitnet4j.sampling.Sampler;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import picocli.CommandLine.Option;

/** Sampling flags, llama.cpp names and defaults. */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8", description = "temperature, 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "keep the K most likely tokens, 0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "nucleus sampling mass, 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "drop tokens below P x the top probability, 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0", description = "penalise recent tokens, 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "window of the penalties (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    float frequencyPenalty;

    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    float presencePenalty;

    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "-1",
            description = "random seed; -1 = a random one, printed on stderr so that the run can be repeated (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--ignore-eos", description = "never end at an end-of-generation token (their logits are set to -inf): go on to -n or the end of the context")
    boolean ignoreEos;

    private Long chosenSeed;

    /** The seed this run samples with: the one given, or a random one chosen once (-1). */
    long seed() {
        if (chosenSeed == null) chosenSeed = seed != RANDOM_SEED ? seed : ThreadLocalRandom.current().nextLong(0, 1L << 32);
        return chosenSeed;
    }

    static final long RANDOM_SEED = -1;

    SamplingParams params() {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed());
    }

    /** The sampler chain, wrapped so that end-of-generation tokens are never drawn when --ignore-eos is given. */
    Sampler sampler(Tokenizer tokenizer) {
        SamplerChain chain;
        try {
            chain = SamplerChain.from(params());
        } catch (IllegalArgumentException e) {
            throw new UsageException("bad sampling option: " + e.getMessage());
        }
        return ignoreEos ? new WithoutEndOfGeneration(chain, tokenizer) : chain;
    }

    /** Prints the sampling settings, the seed first (llama-cli prints its seed the same way). */
    void report(PrintStream err) {
        err.printf(Locale.ROOT, "sampling: seed %d, temp %.2f, top-k %d, top-p %.2f, min-p %.2f, repeat-penalty %.2f%s%n", seed(),
                temperature, topK, topP, minP, repeatPenalty, ignoreEos ? ", ignoring end of generation" : "");
    }

    /** Sets the logits of every end-of-generation token to -inf before the chain samples (llama.cpp's --ignore-eos). */
    record WithoutEndOfGeneration(Sampler chain, int[] endIds) implements Sampler {
        WithoutEndOfGeneration(Sampler chain, Tokenizer tokenizer) {
            this(chain, IntStream.range(0, tokenizer.vocabSize()).filter(tokenizer::isEndOfGeneration).toArray());
        }

        @Override
        public int sample(float[] logits, int vocabSize) {
            for (int id : endIds) if (id < vocabSize) logits[id] = Float.NEGATIVE_INFINITY;
            return chain.sample(logits, vocabSize);
        }

        @Override
        public void accept(int token) {
            chain.accept(token);
        }

        @Override
        public void reset() {
            chain.reset();
        }
    }
}
