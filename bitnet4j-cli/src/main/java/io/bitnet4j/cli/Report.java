package io.bitnet4j.cli;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import java.io.PrintStream;
import jdk.incubator.vector.FloatVector;

/** The lines every run prints on stderr: what runs where, and how fast it went. */
final class Report {
    private Report() {}

    static void system(PrintStream err, Model m) {
        var c = m.config();
        err.printf("model: %s, %d layers, dim %d, %d/%d heads, ffn %d, vocab %d, trained context %d%n", c.arch(), c.layers(),
                c.dim(), c.heads(), c.kvHeads(), c.ffnDim(), c.vocabSize(), c.contextLength());
        err.printf("kernels: %s | threads: %d | vector width: %d bits%n", m.kernelsDescription(), m.threads(),
                FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }

    static void timings(PrintStream err, Generator.Result r) {
        err.printf("prompt: %d tokens in %.2f s (%.1f tokens/s) | generated: %d tokens, %.1f tokens/s | stop: %s%n",
                r.promptTokens(), r.promptNanos() / 1e9, r.promptTokensPerSecond(), r.tokens().length,
                r.tokensPerSecond(), r.stopReason().name().toLowerCase().replace('_', ' '));
    }
}
