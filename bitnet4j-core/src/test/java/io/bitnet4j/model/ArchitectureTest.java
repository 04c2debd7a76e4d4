package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.SharedFiles;
import io.bitnet4j.gguf.GgufArray;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufType;
import io.bitnet4j.gguf.GgufValueType;
import io.bitnet4j.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code bitnet} and {@code llama} (+ I2_S) architectures beyond the shared fixtures (which ParityTest checks
 * against bitnet.cpp): the optional tensors (projection scales, RoPE frequency factors) and linear RoPE scaling
 * against the independent {@link ReferenceModel}, batching, the family named in the model's description, and
 * the refusals of what the runtime does not compute.
 */
class ArchitectureTest {
    @TempDir
    static Path dir;

    /** A GGUF read into editable metadata and tensors, written back with GgufWriter. */
    static final class Edit {
        record Meta(GgufValueType type, Object value) {}

        record Tensor(GgufType type, long[] shape, byte[] data) {}

        final LinkedHashMap<String, Meta> meta = new LinkedHashMap<>();
        final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();

        Edit(Path file) throws Exception {
            try (GgufFile g = GgufFile.open(file)) {
                g.metadata().forEach((k, v) -> meta.put(k, new Meta(g.typeOf(k).orElseThrow(), v)));
                for (var t : g.tensors())
                    tensors.put(t.name(), new Tensor(t.type(), t.shape(), g.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            }
        }

        Edit f32Tensor(String name, float... values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) b.putFloat(v);
            tensors.put(name, new Tensor(GgufType.F32, new long[] {values.length}, b.array()));
            return this;
        }

        Edit set(String key, GgufValueType type, Object value) {
            meta.put(key, new Meta(type, value));
            return this;
        }

        Path write(String name) throws IOException {
            GgufWriter w = new GgufWriter();
            meta.forEach((k, m) -> put(w, k, m));
            tensors.forEach((k, t) -> w.addTensor(k, t.type(), t.shape(), GgufWriter.TensorData.of(t.data())));
            Path f = dir.resolve(name + ".gguf");
            w.write(f);
            return f;
        }

        private static void put(GgufWriter w, String key, Meta m) {
            Object v = m.value();
            switch (m.type()) {
                case UINT32 -> w.putUInt32(key, ((Number) v).longValue());
                case INT32 -> w.putInt32(key, ((Number) v).intValue());
                case FLOAT32 -> w.putFloat32(key, ((Number) v).floatValue());
                case BOOL -> w.putBool(key, (Boolean) v);
                case STRING -> w.putString(key, (String) v);
                case ARRAY -> w.putArray(key, ((GgufArray) v).elementType(), ((GgufArray) v).values());
                default -> throw new IllegalArgumentException("no writer for " + m.type() + " (" + key + ")");
            }
        }
    }

    static Path parity(String name) {
        return SharedFiles.parity(name + ".gguf");
    }

    static final String[] PROJECTIONS = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};

    /** pb with a scale tensor on every projection of every layer (values 0.6 .. 1.4, none equal to 1). */
    static Path bitnetWithScales() throws Exception {
        Edit e = new Edit(parity("pb"));
        int layers = ((Number) e.meta.get("bitnet.block_count").value()).intValue();
        for (int l = 0; l < layers; l++)
            for (int j = 0; j < PROJECTIONS.length; j++) e.f32Tensor("blk." + l + "." + PROJECTIONS[j] + ".scale", 0.6f + 0.8f * ((l * 7 + j) % 11) / 10f + 0.01f);
        return e.write("pb-scales");
    }

    /** pl with LLaMA-3.1-style RoPE frequency factors (1 .. 8 over the 16 pairs) and linear RoPE scaling by 2. */
    static Path llamaWithRopeFactors() throws Exception {
        Edit e = new Edit(parity("pl"));
        float[] factors = new float[16];
        for (int i = 0; i < factors.length; i++) factors[i] = 1f + 7f * i / (factors.length - 1);
        e.f32Tensor("rope_freqs.weight", factors);
        e.set("llama.rope.scaling.type", GgufValueType.STRING, "linear").set("llama.rope.scaling.factor", GgufValueType.FLOAT32, 2.0);
        return e.write("pl-rope-factors");
    }

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of(Named.of("bitnet + projection scales", (Variant) ArchitectureTest::bitnetWithScales), "pb"),
                Arguments.of(Named.of("llama + rope_freqs + linear scaling", (Variant) ArchitectureTest::llamaWithRopeFactors), "pl"));
    }

    interface Variant {
        Path write() throws Exception;
    }

    /**
     * The runtime reads the optional tensors as the reference does (rows within 2 % of the largest logit, top-1
     * equal unless the margin is tiny), and they matter: the logits differ from the base file's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void optionalTensorsMatchTheReference(Variant variant, String base) throws Exception {
        Path file = variant.write();
        int[] tokens = ModelTest.randomTokens(10, 500, 9);
        List<float[]> expected = new ArrayList<>();
        try (GgufFile g = GgufFile.open(file)) {
            ReferenceModel ref = new ReferenceModel(g);
            for (int t : tokens) expected.add(ref.forward(t));
        }
        float[] lastOfBase;
        try (Model m = Model.load(parity(base), ModelTest.options("native")); Session s = m.newSession()) {
            lastOfBase = s.prefill(tokens).clone();
        }
        try (Model m = Model.load(file, ModelTest.options("native")); Session s = m.newSession()) {
            float[] last = null;
            for (int i = 0; i < tokens.length; i++) {
                last = s.decode(tokens[i]);
                float[] want = expected.get(i);
                double maxAbs = 0, maxDiff = 0;
                for (int j = 0; j < want.length; j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(want[j]));
                    maxDiff = Math.max(maxDiff, Math.abs(want[j] - last[j]));
                }
                assertTrue(maxDiff <= 0.02 * maxAbs, "position " + i + ": max |diff| " + maxDiff + " vs max |logit| " + maxAbs);
                assertTrue(LogitsDump.argmax(last) == LogitsDump.argmax(want) || ModelTest.margin(want) < 0.1,
                        "position " + i + ": top-1 differs with margin " + ModelTest.margin(want));
            }
            assertFalse(java.util.Arrays.equals(lastOfBase, last), "the optional tensors changed nothing");
        }
    }

    /** The reference itself reproduces bitnet.cpp's decode rows of pb and pl (so it is a fair judge above). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"pb", "pl"})
    void referenceAgreesWithBitnetCpp(String file) throws Exception {
        Path json = SharedFiles.parity(file + ".decode.json");
        ParityTest.Fixture fx = ParityTest.Fixture.read(json, file);
        try (GgufFile g = GgufFile.open(parity(file))) {
            ReferenceModel ref = new ReferenceModel(g);
            int[] fed = fx.fed();
            for (int i = 0; i < 12; i++) ParityTest.checkRow(fx, "reference", i, fx.rows().get(i), ref.forward(fed[i]), 0.5, false);
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"pb", "pl"})
    void batchedDecodingMatchesEachSessionAlone(String file) throws Exception {
        int sessions = 3, steps = 6;
        try (Model m = Model.load(parity(file), ModelTest.options("native")); BatchDecoder batch = m.newBatchDecoder(4)) {
            List<Session> open = new ArrayList<>();
            int[] next = new int[sessions];
            int[][] alone = new int[sessions][], got = new int[sessions][steps];
            try {
                for (int i = 0; i < sessions; i++) {
                    int[] prompt = ModelTest.randomTokens(4 + 3 * i, 500, 70 + i);
                    alone[i] = ModelTest.greedy(m, prompt, steps);
                    open.add(m.newSession());
                    next[i] = LogitsDump.argmax(open.get(i).prefill(prompt));
                }
                for (int step = 0; step < steps; step++) {
                    for (int i = 0; i < sessions; i++) got[i][step] = next[i];
                    float[][] logits = batch.step(open, next);
                    for (int i = 0; i < sessions; i++) next[i] = LogitsDump.argmax(logits[i]);
                }
                for (int i = 0; i < sessions; i++) assertArrayEquals(alone[i], got[i], file + " session " + i);
            } finally {
                open.forEach(Session::close);
            }
        }
    }

    @Test
    void theDescriptionNamesTheFamily() throws Exception {
        try (Model m = Model.load(parity("pb"), ModelTest.options("native"))) {
            assertEquals(Architecture.BITNET, m.config().arch());
            assertTrue(m.describe().get("architecture").contains("bitnet_b1_58-large"), m.describe().toString());
            assertTrue(m.describe().get("output projection").contains("(token_embd, tied)"), m.describe().toString());
        }
        try (Model m = Model.load(parity("pl"), ModelTest.options("native"))) {
            assertEquals(Architecture.LLAMA, m.config().arch());
            assertTrue(m.describe().get("architecture").contains("Falcon3"), m.describe().toString());
            assertTrue(m.describe().get("output projection").contains("(output.weight)"), m.describe().toString());
        }
    }

    static Arguments refused(String name, String base, Consumer<Edit> edit, String... fragments) {
        return Arguments.of(Named.of(name, base), edit, fragments);
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                refused("bias tensor", "pl", e -> e.f32Tensor("blk.0.attn_q.bias", new float[256]), "blk.0.attn_q.bias", "bias"),
                refused("scale tensor on llama", "pl", e -> e.f32Tensor("blk.0.attn_q.scale", 1f), "blk.0.attn_q.scale", "'llama'"),
                refused("scale of a norm", "pb", e -> e.f32Tensor("blk.0.attn_norm.scale", 1f), "blk.0.attn_norm.scale"),
                refused("output.weight on bitnet", "pb", e -> e.tensors.put("output.weight", e.tensors.get("token_embd.weight")),
                        "output.weight", "ties the output projection"),
                refused("sub-norm on llama", "pl", e -> e.f32Tensor("blk.0.attn_sub_norm.weight", new float[256]), "attn_sub_norm", "no sub-norms"),
                refused("F32 embedding", "pl", e -> {
                    var t = e.tensors.get("token_embd.weight");
                    e.tensors.put("token_embd.weight", new Edit.Tensor(GgufType.F32, t.shape(), new byte[t.data().length * 2]));
                }, "token_embd.weight", "F32", "F16 only"),
                refused("YaRN RoPE scaling", "pl", e -> e.set("llama.rope.scaling.type", GgufValueType.STRING, "yarn"), "yarn"),
                refused("FFN rows not whole I2_S blocks", "pb", e -> e.set("bitnet.feed_forward_length", GgufValueType.UINT32, 1000L),
                        "feed_forward_length 1000", "multiple of 128"),
                refused("zero RoPE frequency factor", "pl", e -> e.f32Tensor("rope_freqs.weight", new float[16]), "rope_freqs.weight"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void whatIsNotComputedIsRefusedByName(String base, Consumer<Edit> edit, String[] fragments) throws Exception {
        Edit e = new Edit(parity(base));
        edit.accept(e);
        Path f = e.write("refused-" + Math.abs(java.util.Arrays.hashCode(fragments)));
        Exception ex = assertThrows(Exception.class, () -> Model.load(f, ModelTest.options("native")).close());
        for (String fragment : fragments) assertTrue(ex.getMessage().contains(fragment), "'" + ex.getMessage() + "' lacks '" + fragment + "'");
    }

    /** An embedding stored in a quantized type (as --quant-embd writes Q6_K) is refused with the type's name. */
    @Test
    void aQuantizedEmbeddingIsRefusedWithItsTypeName() throws Exception {
        byte[] bytes = Files.readAllBytes(parity("pl"));
        byte[] name = "token_embd.weight".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, name) + name.length; // then n_dims (u32), 2 dims (u64), the type (u32)
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at + 4 + 16, 14);
        Path f = dir.resolve("q6k-embedding.gguf");
        Files.write(f, bytes);
        Exception ex = assertThrows(Exception.class, () -> Model.load(f, ModelTest.options("native")).close());
        assertTrue(ex.getMessage().contains("token_embd.weight") && ex.getMessage().contains("Q6_K"), ex.getMessage());
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
