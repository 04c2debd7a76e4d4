package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.sampling.Sampler;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8 item 5 through the public API: context limits and thread counts (docs/limits.md). */
class LimitsTest {
    @TempDir
    static Path dir;
    static Path tiny;

    @BeforeAll
    static void writeModel() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, new SyntheticModel.Spec("bitnet-b1.58", 300, 128, 1, 2, 1, 128, 64, 10000f, 1e-5f), null, 9);
    }

    /** Always picks the same ordinary token, so generation can only stop on a limit. */
    static Sampler constant(int token) {
        return new Sampler() {
            public int sample(float[] logits, int vocabSize) { return token; }
            public void accept(int t) {}
            public void reset() {}
        };
    }

    static Model.Options java(int threads) {
        return Model.Options.builder().backend(Backend.JAVA).threads(threads).build();
    }

    @Test
    void nPredictPastTheContextStopsWithContextFull() throws Exception {
        try (Model m = Model.load(tiny, java(1)); Session s = m.newSession(16)) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), null);
            int token = 'a';
            assertTrue(!tok.isEndOfGeneration(token));
            // Integer.MAX_VALUE used to size the token buffer (an 8 GB allocation); now only the context counts.
            var r = new Generator(s, tok, constant(token)).generate(new int[] {1, 2, 3, 4}, Integer.MAX_VALUE, List.of(), Generator.Listener.NONE);
            assertEquals(Generator.StopReason.CONTEXT_FULL, r.stopReason());
            assertEquals(16, s.position());
            assertEquals(16 - 4 + 1, r.tokens().length, "one token per free position plus the last sampled one");
            // The session is full: another prompt is a typed error, and the session stays as it was.
            assertThrows(ContextOverflowException.class,
                    () -> new Generator(s, tok, constant(token)).generate(new int[] {1}, 5, List.of(), Generator.Listener.NONE));
            assertEquals(16, s.position());
        }
    }

    @Test
    void aPromptLongerThanTheContextIsATypedErrorBeforeAnyWork() throws Exception {
        try (Model m = Model.load(tiny, java(1)); Session s = m.newSession(8)) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), null);
            var e = assertThrows(ContextOverflowException.class,
                    () -> new Generator(s, tok, constant('a')).generate(new int[9], 1, List.of(), Generator.Listener.NONE));
            assertTrue(e.getMessage().contains("context length of 8"), e.getMessage());
            assertEquals(0, s.position());
            // Exactly the context is allowed: the prompt fills it and one token is sampled.
            var r = new Generator(s, tok, constant('a')).generate(new int[8], 10, List.of(), Generator.Listener.NONE);
            assertEquals(Generator.StopReason.CONTEXT_FULL, r.stopReason());
            assertEquals(1, r.tokens().length);
        }
    }

    @Test
    void threadCounts() throws Exception {
        try (Model m = Model.load(tiny, java(0))) {
            assertEquals(Runtime.getRuntime().availableProcessors(), m.threads(), "0 = one per processor");
        }
        try (Model m = Model.load(tiny, java(3))) {
            assertEquals(3, m.threads(), "more threads than cores is allowed (up to 1024)");
        }
        for (int bad : new int[] {-1, Integer.MIN_VALUE, 1025, Integer.MAX_VALUE}) {
            var e = assertThrows(IllegalArgumentException.class, () -> java(bad));
            assertTrue(e.getMessage().contains("threads") && e.getMessage().contains(Integer.toString(bad)), e.getMessage());
        }
    }

    @Test
    void negativeMaxTokensAndEmptyPromptsAreRejected() throws Exception {
        try (Model m = Model.load(tiny, java(1)); Session s = m.newSession(8)) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), null);
            Generator g = new Generator(s, tok, constant('a'));
            assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {1}, -1, List.of(), Generator.Listener.NONE));
            assertThrows(IllegalArgumentException.class, () -> g.generate(new int[0], 1, List.of(), Generator.Listener.NONE));
            assertEquals(0, g.generate(new int[] {1}, 0, List.of(), Generator.Listener.NONE).tokens().length, "0 tokens = prompt only");
        }
    }
}
