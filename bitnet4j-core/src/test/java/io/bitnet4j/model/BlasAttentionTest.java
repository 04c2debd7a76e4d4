package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bitnet4j.synthetic.SyntheticModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attention through OpenBLAS sgemm ({@link BlasAttention}) computes what the Java route computes: the same logits
 * to float rounding and the same greedy tokens over a long prompt; AUTO takes it exactly past the crossover; the
 * options refuse what cannot run. (Without the OpenBLAS jars: {@link BlasFallbackTest}.)
 */
class BlasAttentionTest {
    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void writeModel() throws Exception {
        file = dir.resolve("tiny.gguf");
        SyntheticModel.write(file, SyntheticModel.Spec.tiny(), null, 11); // context 512, 4 query heads on 1 KV head
    }

    static void assumeOpenBlas() {
        assumeTrue(BlasAttention.unavailableReason() == null, "OpenBLAS not usable here: " + BlasAttention.unavailableReason());
    }

    /** Logits after a 448-token prompt (7 batches of 64, up to position 448) and 32 greedy tokens after it. */
    record Run(float[] promptLogits, List<Integer> greedy, List<float[]> stepLogits) {}

    static Run run(AttentionKernel kernel, CacheType cacheType) throws Exception {
        Model.Options o = Model.Options.builder().threads(2).attentionKernel(kernel).cacheType(cacheType).build();
        try (Model m = Model.load(file, o); Session s = m.newSession()) {
            assertEquals(kernel, m.attentionKernel());
            int[] prompt = new SplittableRandom(5).ints(448, 0, m.config().vocabSize()).toArray();
            float[] logits = s.prefill(prompt).clone();
            List<Integer> greedy = new ArrayList<>();
            List<float[]> steps = new ArrayList<>();
            float[] next = logits;
            for (int i = 0; i < 32; i++) {
                int token = LogitsDump.argmax(next);
                greedy.add(token);
                next = s.decode(token).clone();
                steps.add(next);
            }
            return new Run(logits, greedy, steps);
        }
    }

    @Test
    void openBlasAndJavaAgreeOnALongPrompt() throws Exception {
        assumeOpenBlas();
        for (CacheType cacheType : CacheType.values()) {
            Run java = run(AttentionKernel.JAVA, cacheType), blas = run(AttentionKernel.OPENBLAS, cacheType), auto = run(AttentionKernel.AUTO, cacheType);
            for (Run other : List.of(blas, auto)) {
                // another summation order moves a score by ulps and so, now and then, one F16 step of P: the logits
                // move by far less than their spread (up to 0.7 % of it seen here, through the int8 activation rounding; parity allows 10 % of max |logit|)
                assertClose(java.promptLogits(), other.promptLogits(), cacheType + " prompt");
                for (int i = 0; i < java.stepLogits().size(); i++) assertClose(java.stepLogits().get(i), other.stepLogits().get(i), cacheType + " step " + i);
                assertEquals(java.greedy(), other.greedy(), cacheType + ": greedy tokens");
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            lo = Math.min(lo, expected[i]);
            hi = Math.max(hi, expected[i]);
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(hi > lo, what + ": flat logits test nothing");
        assertTrue(worst <= 2e-2 * (hi - lo), what + ": logits differ by " + worst + " (spread " + (hi - lo) + ")");
    }

    /**
     * Called directly, an AUTO Attention is bit-identical to the Java route below the crossover and to the OpenBLAS
     * route at and past it (the two routes differ in some bits there, or the comparison would prove nothing).
     */
    @Test
    void autoTakesOpenBlasExactlyPastTheCrossover() {
        assumeOpenBlas();
        ModelConfig c = new ModelConfig(Architecture.BITNET_B158, 256, 1024, 512, 1, 8, 2, 64, 512, 500000f, 1f, 1e-5f);
        int maxTokens = 64, positions = 1024;
        try (Arena arena = Arena.ofConfined()) {
            KvCache cache = new KvCache(c, positions, CacheType.F16, new java.util.concurrent.atomic.AtomicLong());
            var rnd = new SplittableRandom(9);
            MemorySegment k = floats(arena, c.kvDim(), rnd), v = floats(arena, c.kvDim(), rnd);
            for (int p = 0; p < positions; p++) {
                fill(k, rnd);
                fill(v, rnd);
                cache.layer(0).store(p, k, 0, v, 0);
            }
            MemorySegment q = floats(arena, (long) maxTokens * c.dim(), rnd);
            try (Attention javaRoute = new Attention(c, maxTokens, positions, AttentionKernel.JAVA);
                 Attention blasRoute = new Attention(c, maxTokens, positions, AttentionKernel.OPENBLAS);
                 Attention auto = new Attention(c, maxTokens, positions, AttentionKernel.AUTO)) {
                int min = BlasAttention.MIN_TOKENS, minEnd = BlasAttention.MIN_POSITIONS;
                int[][] calls = { // tokens, end position: either side of each threshold
                        {min - 1, positions}, {min, positions}, {maxTokens, minEnd - 1}, {maxTokens, minEnd}, {1, positions}, {maxTokens, positions}};
                for (int[] call : calls) {
                    int tokens = call[0], end = call[1];
                    float[] viaJava = attend(javaRoute, cache, q, tokens, end, c, arena), viaBlas = attend(blasRoute, cache, q, tokens, end, c, arena);
                    float[] viaAuto = attend(auto, cache, q, tokens, end, c, arena);
                    boolean pays = BlasAttention.pays(tokens, end);
                    assertEquals(tokens >= min && end >= minEnd, pays, tokens + " tokens to " + end);
                    assertArrayEquals(pays ? viaBlas : viaJava, viaAuto, "AUTO at " + tokens + " tokens to " + end);
                    if (tokens > 1) assertFalse(java.util.Arrays.equals(viaJava, viaBlas), "the two routes agree to the bit at " + tokens + " tokens: the test cannot tell them apart");
                }
            }
        }
    }

    private static float[] attend(Attention a, KvCache cache, MemorySegment q, int tokens, int end, ModelConfig c, Arena arena) {
        MemorySegment out = arena.allocate(4L * tokens * c.dim(), 64);
        for (int h = 0; h < c.kvHeads(); h++) a.run(h, cache.layer(0), q, out, 0, end - tokens, tokens);
        return out.toArray(JAVA_FLOAT);
    }

    private static MemorySegment floats(Arena arena, long n, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(4 * n, 64);
        fill(s, rnd);
        return s;
    }

    private static void fill(MemorySegment s, SplittableRandom rnd) {
        for (long i = 0; i < s.byteSize() / 4; i++) s.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
    }

    @Test
    void crossoverIsOneRuleOnTokensAndPositions() {
        assertTrue(BlasAttention.pays(BlasAttention.MIN_TOKENS, BlasAttention.MIN_POSITIONS));
        assertTrue(BlasAttention.pays(512, 4096));
        assertFalse(BlasAttention.pays(1, 4096), "decode steps stay on the Java route");
        assertFalse(BlasAttention.pays(BlasAttention.MIN_TOKENS - 1, 4096));
        assertFalse(BlasAttention.pays(512, BlasAttention.MIN_POSITIONS - 1));
    }

    @Test
    void exactNumericsRefuseOpenBlasAndAutoRunsJava() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Model.Options.builder().numerics(Numerics.EXACT).attentionKernel(AttentionKernel.OPENBLAS).build());
        assertTrue(e.getMessage().contains("fast numerics only"), e.getMessage());
        Model.Options exact = Model.Options.builder().numerics(Numerics.EXACT).build();
        assertEquals(AttentionKernel.AUTO, exact.attentionKernel(), "AUTO is the default");
        assertEquals(AttentionKernel.JAVA, Model.attentionKernel(exact));
        assertTrue(Model.attentionDescription(exact).startsWith("java (exact numerics"), Model.attentionDescription(exact));
        Model.Options java = Model.Options.builder().attentionKernel(AttentionKernel.JAVA).build();
        assertEquals("java", Model.attentionDescription(java));
        assertEquals(java, java.toBuilder().build(), "toBuilder keeps the attention kernel");
    }

    @Test
    void autoWithOpenBlasSaysWhereItRuns() throws Exception {
        assumeOpenBlas();
        Model.Options auto = Model.Options.defaults();
        assertEquals(AttentionKernel.AUTO, Model.attentionKernel(auto));
        try (Model m = Model.load(file, auto)) {
            String described = m.describe().get("attention");
            assertTrue(described.startsWith("OpenBLAS sgemm") && described.contains(BlasAttention.MIN_TOKENS + "+ tokens")
                    && described.contains(BlasAttention.MIN_POSITIONS + "+ positions"), described);
        }
    }

    @Test
    void kernelNamesParse() {
        for (AttentionKernel k : AttentionKernel.values()) assertEquals(k, AttentionKernel.parse(k.id()));
        var e = assertThrows(IllegalArgumentException.class, () -> AttentionKernel.parse("cublas"));
        assertTrue(e.getMessage().contains("auto, java, openblas"), e.getMessage());
    }
}
