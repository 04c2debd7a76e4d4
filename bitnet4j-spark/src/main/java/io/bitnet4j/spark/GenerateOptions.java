package io.bitnet4j.spark;

import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * How {@link BitNetSpark#generate} completes each row; build with {@link #builder()}.
 *
 * <p>Sampling is greedy by default. With a temperature, each row draws from its own random sequence, seeded from
 * the sampling seed and the row's key ({@link #seedFor}): the value of {@code keyColumn}, or the prompt when no
 * key column is named. A row's completion therefore depends on the row alone, not on the partition it lands in,
 * the rows beside it or the order they come in. Rows with equal prompts and no key column complete alike.
 *
 * @param maxTokens    tokens to generate at most per row (an end-of-generation token counts)
 * @param sampling     the sampler settings; its seed is the base of every row's seed
 * @param stopStrings  the completion ends before the first of these (not included)
 * @param keyColumn    the column whose value (as a string) seeds a row, or null for the prompt
 * @param batchSize    rows decoded together: the sessions of the executor's batch generator, and the rows each task
 *                     keeps in it (1 = one row at a time)
 * @param columnPrefix prepended to the added column names ({@link Columns})
 */
public record GenerateOptions(int maxTokens, SamplingParams sampling, List<String> stopStrings, String keyColumn,
        int batchSize, String columnPrefix) implements Serializable {

    public GenerateOptions {
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(stopStrings, "stopStrings");
        Objects.requireNonNull(columnPrefix, "columnPrefix");
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        if (batchSize < 1 || batchSize > 512) throw new IllegalArgumentException("batch size must be between 1 and 512 rows, got " + batchSize);
        stopStrings = List.copyOf(stopStrings); // also refuses null elements
        SamplerChain.from(sampling); // the sampler's own checks, on the driver rather than in every task
    }

    /** 64 tokens, greedy, no stop strings, 8 rows at a time, the plain column names. */
    public static GenerateOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The seed of the row whose key is {@code key}: the sampling seed mixed with a 64-bit hash of the key. */
    public long seedFor(String key) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the UTF-8 bytes: stable across JVMs and machines
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h ^ sampling.seed());
    }

    /** The sampler settings of the row whose key is {@code key}: what the same request through the Java API needs. */
    public SamplingParams samplingFor(String key) {
        return sampling.withSeed(seedFor(key));
    }

    /** SplitMix64's finalizer: spreads nearby seeds over all 64 bits. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public static final class Builder {
        private int maxTokens = 64, batchSize = 8;
        private SamplingParams sampling = SamplingParams.greedyParams();
        private List<String> stopStrings = List.of();
        private String keyColumn, columnPrefix = "";

        private Builder() {}

        public Builder maxTokens(int n) { maxTokens = n; return this; }
        public Builder sampling(SamplingParams p) { sampling = p; return this; }
        public Builder stopStrings(List<String> stops) { stopStrings = stops; return this; }
        public Builder keyColumn(String column) { keyColumn = column; return this; }
        public Builder batchSize(int rows) { batchSize = rows; return this; }
        public Builder columnPrefix(String prefix) { columnPrefix = prefix; return this; }

        public GenerateOptions build() {
            return new GenerateOptions(maxTokens, sampling, stopStrings, keyColumn, batchSize, columnPrefix);
        }
    }
}
