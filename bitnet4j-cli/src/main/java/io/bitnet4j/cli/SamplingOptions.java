package io.bitnet4j.cli;

import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import java.util.concurrent.ThreadLocalRandom;
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

    @Option(names = {"-s", "--seed"}, paramLabel = "N", description = "random seed for reproducible sampling (default: random)")
    Long seed;

    SamplingParams params() {
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, s);
    }

    SamplerChain sampler() {
        try {
            return SamplerChain.from(params());
        } catch (IllegalArgumentException e) {
            throw new CliException("bad sampling option: " + e.getMessage());
        }
    }
}
