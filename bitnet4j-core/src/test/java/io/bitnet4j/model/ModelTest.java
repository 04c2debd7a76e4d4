package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Java graph against an independent float reference, across backends, batch sizes and error paths. */
class ModelTest {

    @TempDir
    static Path dir;
    static Path tiny, gqa;

    @BeforeAll
    static void writeModels() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, SyntheticModel.Spec.tiny(), null, 7);
        // head_dim 128, GQA group 3, bitnet-25 arch name: another corner of the spec
        gqa = dir.resolve("gqa.gguf");
        SyntheticModel.write(gqa, new SyntheticModel.Spec("bitnet-25", 600, 384, 3, 3, 1, 640, 256, 10000f, 1e-5f), null, 11);
    }

    static int[] randomTokens(int n, int vocab, long seed) {
        return new SplittableRandom(seed).ints(n, 0, vocab).toArray();
    }

    static Model.Options options(String backend) {
        return Model.Options.builder().backend(Backend.parse(backend)).threads(2).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "gqa"})
    void matchesIndependentReferenceTeacherForced(String which) throws Exception {
        Path file = which.equals("tiny") ? tiny : gqa;
        int[] tokens;
        List<float[]> expected = new ArrayList<>();
        try (GgufFile g = GgufFile.open(file)) {
            ReferenceModel ref = new ReferenceModel(g);
            tokens = randomTokens(20, ref.c.vocabSize(), 3);
            for (int t : tokens) expected.add(ref.forward(t));
        }
        try (Model m = Model.load(file, options("native")); Session s = m.newSession()) {
            int top1 = 0;
            for (int i = 0; i < tokens.length; i++) {
                float[] actual = s.decode(tokens[i]);
                float[] want = expected.get(i);
                double maxAbs = 0, maxDiff = 0;
                for (int j = 0; j < want.length; j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(want[j]));
                    maxDiff = Math.max(maxDiff, Math.abs(want[j] - actual[j]));
                }
                assertTrue(maxDiff <= 0.02 * maxAbs, "position " + i + ": max |diff| " + maxDiff + " vs max |logit| " + maxAbs);
                if (LogitsDump.argmax(actual) == LogitsDump.argmax(want)) top1++;
                else assertTrue(margin(want) < 0.1, "position " + i + ": top-1 differs with margin " + margin(want));
            }
            assertTrue(top1 >= tokens.length - 1, "top-1 agreed on " + top1 + " of " + tokens.length);
        }
    }

    static float margin(float[] logits) {
        float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > a) { b = a; a = v; } else if (v > b) b = v;
        }
        return a - b;
    }

    /** Greedy continuation of a prompt, one token per step. */
    static int[] greedy(Model m, int[] prompt, int n) {
        try (Session s = m.newSession()) {
            float[] logits = s.prefill(prompt);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = LogitsDump.argmax(logits);
                logits = s.decode(out[i]);
            }
            return out;
        }
    }

    @Test
    void backendsAgreeOnGreedyContinuations() throws Exception {
        int[] prompt = randomTokens(12, 512, 5);
        int[] reference;
        try (Model m = Model.load(tiny, options("native"))) {
            reference = greedy(m, prompt, 24);
        }
        for (String backend : List.of("vector", "java")) {
            try (Model m = Model.load(tiny, options(backend))) {
                assertArrayEquals(reference, greedy(m, prompt, 24), "greedy tokens of backend " + backend);
            }
        }
        try (Model m = Model.load(tiny, options("native").toBuilder().isa(Isa.SCALAR).build())) {
            assertArrayEquals(reference, greedy(m, prompt, 24), "greedy tokens of the native scalar ISA");
        }
        try (Model m = Model.load(tiny, options("vector").toBuilder().ternaryKernel(TernaryKernel.VECTOR_LUT).build())) {
            assertArrayEquals(reference, greedy(m, prompt, 24), "greedy tokens of the vector-lut kernel");
        }
        for (String lut : List.of("tl2", "tl1")) { // SIMD where the CPU has it, else the scalar LUT reference
            try (Model m = Model.load(tiny, options("native").toBuilder().ternaryKernel(TernaryKernel.parse(lut)).build())) {
                assertArrayEquals(reference, greedy(m, prompt, 24), "greedy tokens of the " + lut + " kernels");
            }
        }
    }

    /**
     * The int8 and 4-bit output projections: the quantized pass is integer-exact and bit-identical across
     * backends, the rescored best logits are the F16 projection's (to the backends' float summation order), so
     * the greedy token is the F16 path's at every position and its logit matches the F16 one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"i8", "q4"})
    void quantizedOutputProjectionKeepsTheF16GreedyTokenAndLogit(String type) throws Exception {
        int[] tokens = randomTokens(24, 512, 8);
        List<float[]> f16Rows = new ArrayList<>();
        try (Model m = Model.load(tiny, options("native")); Session s = m.newSession()) {
            for (int t : tokens) f16Rows.add(s.decode(t).clone());
        }
        for (String backend : List.of("native", "vector", "java")) {
            try (Model m = Model.load(tiny, options(backend).toBuilder().outputType(OutputType.parse(type)).build()); Session s = m.newSession()) {
                assertTrue(m.describe().get("output projection").startsWith(type.equals("i8") ? "int8" : "4-bit"), m.describe().toString());
                for (int i = 0; i < tokens.length; i++) {
                    float[] row = s.decode(tokens[i]), f16 = f16Rows.get(i);
                    int best = LogitsDump.argmax(f16);
                    assertEquals(best, LogitsDump.argmax(row), backend + " " + type + " greedy token at " + i);
                    assertEquals(f16[best], row[best], 1e-4f * Math.max(1f, Math.abs(f16[best])), backend + " " + type + " best logit at " + i);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().outputType(OutputType.parse("q5")).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().numerics(Numerics.EXACT).outputType(OutputType.parse(type)).build());
    }

    /** The quantized pass itself (the logits outside the rescored best) is bit-identical on every backend. */
    @ParameterizedTest
    @ValueSource(strings = {"i8", "q4"})
    void quantizedOutputProjectionIsExactAcrossBackends(String type) throws Exception {
        int[] tokens = randomTokens(12, 512, 18);
        List<float[]> nativeRows = new ArrayList<>();
        try (Model m = Model.load(tiny, options("native").toBuilder().outputType(OutputType.parse(type)).build()); Session s = m.newSession()) {
            for (int t : tokens) nativeRows.add(s.decode(t).clone());
        }
        for (String backend : List.of("vector", "java")) {
            try (Model m = Model.load(tiny, options(backend).toBuilder().outputType(OutputType.parse(type)).build()); Session s = m.newSession()) {
                for (int i = 0; i < tokens.length; i++) {
                    float[] row = s.decode(tokens[i]), ref = nativeRows.get(i);
                    int exact = 0;
                    for (int v = 0; v < row.length; v++) {
                        if (Float.floatToIntBits(row[v]) == Float.floatToIntBits(ref[v])) exact++;
                        else assertEquals(ref[v], row[v], 1e-4f * Math.max(1f, Math.abs(ref[v])), backend + " row " + i + " logit " + v);
                    }
                    assertTrue(exact >= row.length - 64, backend + " row " + i + ": only " + exact + " of " + row.length + " logits bit-identical");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 64})
    void batchedPrefillMatchesTokenByToken(int batch) throws Exception {
        int[] tokens = randomTokens(29, 600, 9);
        List<float[]> oneByOne = new ArrayList<>();
        try (Model m = Model.load(gqa, options("native").toBuilder().batchSize(1).build()); Session s = m.newSession()) {
            for (int t : tokens) oneByOne.add(s.decode(t).clone());
        }
        try (Model m = Model.load(gqa, options("native").toBuilder().batchSize(batch).build()); Session s = m.newSession()) {
            List<float[]> batched = new ArrayList<>();
            s.evaluateAll(tokens, (i, logits) -> batched.add(logits.clone()));
            assertEquals(tokens.length, batched.size());
            for (int i = 0; i < tokens.length; i++) {
                float[] a = oneByOne.get(i), b = batched.get(i);
                double maxAbs = 0, maxDiff = 0;
                for (int j = 0; j < a.length; j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(a[j]));
                    maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
                }
                assertTrue(maxDiff <= 0.02 * maxAbs, "batch " + batch + " position " + i + ": max |diff| " + maxDiff);
            }
            assertEquals(tokens.length, s.position());
        }
    }

    @Test
    void sessionsAreIndependentAndResettable() throws Exception {
        int[] prompt = randomTokens(10, 512, 1);
        try (Model m = Model.load(tiny, options("native"))) {
            int[] alone = greedy(m, prompt, 8);
            try (Session a = m.newSession(); Session b = m.newSession()) {
                b.prefill(randomTokens(30, 512, 2)); // b's state must not leak into a
                float[] first = a.prefill(prompt).clone();
                a.reset();
                assertArrayEquals(first, a.prefill(prompt), "same logits after reset");
            }
            assertArrayEquals(alone, greedy(m, prompt, 8));
        }
    }

    @Test
    void parallelSessionsOnOneModelMatchSerialRuns() throws Exception {
        try (Model m = Model.load(tiny, options("native"))) {
            List<int[]> prompts = new ArrayList<>();
            List<int[]> serial = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                prompts.add(randomTokens(8, 512, 100 + i));
                serial.add(greedy(m, prompts.get(i), 10));
            }
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (int[] p : prompts) futures.add(CompletableFuture.supplyAsync(() -> greedy(m, p, 10)));
            for (int i = 0; i < prompts.size(); i++)
                assertArrayEquals(serial.get(i), futures.get(i).get(60, TimeUnit.SECONDS), "session " + i);
        }
    }

    @Test
    void contextOverflowIsATypedErrorAndLeavesTheSessionUsable() throws Exception {
        try (Model m = Model.load(tiny, options("native")); Session s = m.newSession(16)) {
            s.prefill(randomTokens(10, 512, 1));
            var e = assertThrows(ContextOverflowException.class, () -> s.prefill(randomTokens(7, 512, 2)));
            assertTrue(e.getMessage().contains("context length of 16"), e.getMessage());
            assertEquals(10, s.position());
            s.prefill(randomTokens(6, 512, 3));
            assertEquals(16, s.position());
        }
    }

    @Test
    void badArgumentsAreClearErrors() throws Exception {
        try (Model m = Model.load(tiny, options("native")); Session s = m.newSession()) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.decode(512));
            assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.decode(-1));
            assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[0]));
            assertThrows(IllegalArgumentException.class, () -> m.newSession(0));
            assertThrows(IllegalArgumentException.class, () -> m.newSession(100_000));
        }
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().threads(-1).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().threads(5000).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().backend(Backend.parse("gpu")).build());
    }

    @Test
    void useAfterCloseIsReported() throws Exception {
        Model m = Model.load(tiny, options("native"));
        Session s = m.newSession();
        s.decode(1);
        s.close();
        assertThrows(IllegalStateException.class, () -> s.decode(1));
        Session t = m.newSession();
        m.close();
        var e = assertThrows(IllegalStateException.class, () -> t.decode(1));
        assertTrue(e.getMessage().contains("model closed"), e.getMessage());
        assertThrows(IllegalStateException.class, m::newSession);
        t.close();
    }

    @Test
    void closingTheModelWhileAnotherThreadGeneratesIsSafe() throws Exception {
        Model m = Model.load(tiny, options("native"));
        Session s = m.newSession();
        var running = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 400; i++) s.decode(i % 512);
            } catch (IllegalStateException expected) {
                // closed underneath us, or out of context (ContextOverflowException): both are clean outcomes
            }
        });
        Thread.sleep(50);
        m.close();
        running.get(60, TimeUnit.SECONDS);
        s.close();
    }
}
