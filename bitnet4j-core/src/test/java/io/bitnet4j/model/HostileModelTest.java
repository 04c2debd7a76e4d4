package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import io.bitnet4j.tokenizer.GgufTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufArray;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufType;
import io.bitnet4j.gguf.GgufValueType;
import io.bitnet4j.gguf.GgufWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 8 item 1 at the model level: a valid tiny model, then one variant per way its metadata, tensors or
 * tokenizer can be wrong. Every variant must make {@link Model#load} throw a {@link GgufException} whose
 * message names the offending key or tensor. The container-level corpus (truncation, hostile counts and
 * offsets) is GgufCorruptionTest; here the file is always well-formed GGUF and only its content is wrong.
 *
 * <p>No native call on invalid data: loads run with a "tripwire" ISA name in the system property
 * {@code bitnet4j.isa}. Creating the native backend with it fails with "unknown ISA" before any native call, so if
 * validation ran after the backend was created, every case would fail with that message instead of its own
 * ({@link #tripwireFiresOnAValidModel} proves the tripwire fires).
 *
 * <p>The tokenizer keys are checked where text meets the model: {@link GgufTokenizer#load(GgufFile, int,
 * io.bitnet4j.tokenizer.PreTokenizer)} (the generation layer's entry); a model with a broken tokenizer still
 * loads and runs on token ids.
 */
class HostileModelTest {
    static final String A = "bitnet-b1.58.";
    static final Model.Options TRIPWIRE = Model.Options.builder().threads(1).backend(Backend.NATIVE).batchSize(8).build();

    @BeforeAll
    static void armTripwire() {
        System.setProperty("bitnet4j.isa", "tripwire-isa");
    }

    @org.junit.jupiter.api.AfterAll
    static void disarmTripwire() {
        System.clearProperty("bitnet4j.isa");
    }

    @TempDir
    static Path dir;
    static Path valid;
    /** The valid file's contents, as editable copies for each variant. */
    static Map<String, Meta> baseMeta;
    static Map<String, Tensor> baseTensors;

    record Meta(GgufValueType type, Object value) {}

    record Tensor(GgufType type, long[] shape, byte[] data) {}

    /** One variant: editable metadata and tensors, written back with GgufWriter. */
    static final class Variant {
        final LinkedHashMap<String, Meta> meta = new LinkedHashMap<>(baseMeta);
        final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();

        Variant() {
            baseTensors.forEach((k, t) -> tensors.put(k, new Tensor(t.type(), t.shape().clone(), t.data().clone())));
        }

        Variant remove(String key) {
            assertTrue(meta.remove(key) != null, "base model lacks key " + key);
            return this;
        }

        Variant set(String key, GgufValueType type, Object value) {
            meta.put(key, new Meta(type, value));
            return this;
        }

        Variant u32(String key, long v) { return set(key, GgufValueType.UINT32, v); }

        Variant f32(String key, float v) { return set(key, GgufValueType.FLOAT32, (double) v); }

        Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            assertTrue(t != null, "base model lacks tensor " + name);
            return t;
        }

        Path write(String name) throws Exception {
            GgufWriter w = new GgufWriter();
            meta.forEach((k, m) -> put(w, k, m));
            tensors.forEach((k, t) -> w.addTensor(k, t.type(), t.shape(), GgufWriter.TensorData.of(t.data())));
            String stem = name.replaceAll("[^A-Za-z0-9]+", "_");
            Path f = java.nio.file.Files.createTempFile(dir, stem.substring(0, Math.min(40, stem.length())), ".gguf");
            w.write(f);
            return f;
        }
    }

    static void put(GgufWriter w, String key, Meta m) {
        Object v = m.value();
        switch (m.type()) {
            case UINT8 -> w.putUInt8(key, ((Number) v).intValue());
            case INT8 -> w.putInt8(key, ((Number) v).intValue());
            case UINT16 -> w.putUInt16(key, ((Number) v).intValue());
            case INT16 -> w.putInt16(key, ((Number) v).intValue());
            case UINT32 -> w.putUInt32(key, ((Number) v).longValue());
            case INT32 -> w.putInt32(key, ((Number) v).intValue());
            case UINT64 -> w.putUInt64(key, ((Number) v).longValue()); // BigInteger: its low 64 bits, as in the file
            case INT64 -> w.putInt64(key, ((Number) v).longValue());
            case FLOAT32 -> w.putFloat32(key, ((Number) v).floatValue());
            case FLOAT64 -> w.putFloat64(key, ((Number) v).doubleValue());
            case BOOL -> w.putBool(key, (Boolean) v);
            case STRING -> w.putString(key, (String) v);
            case ARRAY -> w.putArray(key, ((GgufArray) v).elementType(), ((GgufArray) v).values());
        }
    }

    @BeforeAll
    static void writeValidModel() throws Exception {
        valid = dir.resolve("valid.gguf");
        // 1 layer, dim 128, 2 heads / 1 KV head, ffn 128, vocab 300: every check applies, files stay ~100 KB.
        SyntheticModel.write(valid, new SyntheticModel.Spec("bitnet-b1.58", 300, 128, 1, 2, 1, 128, 64, 10000f, 1e-5f), null, 5);
        baseMeta = new LinkedHashMap<>();
        baseTensors = new LinkedHashMap<>();
        try (GgufFile g = GgufFile.open(valid)) {
            g.metadata().forEach((k, v) -> baseMeta.put(k, new Meta(g.typeOf(k).orElseThrow(), v)));
            for (var t : g.tensors()) {
                var seg = g.data(t);
                baseTensors.put(t.name(), new Tensor(t.type(), t.shape(), seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            }
        }
    }

    static Arguments hostile(String name, Consumer<Variant> edit, String... fragments) {
        return Arguments.of(Named.of(name, edit), fragments);
    }

    /** The float scale of an I2_S tensor sits right after its rows*cols/4 packed bytes. */
    static void setScale(Tensor t, float scale) {
        int at = (int) (t.shape()[0] * t.shape()[1] / 4);
        ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, scale);
    }

    static Stream<Arguments> hostileModels() {
        List<Arguments> cases = new ArrayList<>();
        // Each required hyperparameter key, missing.
        for (String k : List.of("general.architecture", A + "embedding_length", A + "attention.head_count",
                A + "context_length", A + "block_count", A + "feed_forward_length", A + "attention.layer_norm_rms_epsilon"))
            cases.add(hostile("missing " + k, v -> v.remove(k), "missing metadata key '" + k + "'"));
        // Optional keys whose default then contradicts the tensors: the tensor is named.
        cases.add(hostile("missing head_count_kv (default = head_count)", v -> v.remove(A + "attention.head_count_kv"),
                "blk.0.attn_k.weight", "shape"));
        cases.add(hostile("missing vocab_size and token_embd", v -> {
            v.remove(A + "vocab_size");
            v.tensors.remove("token_embd.weight");
        }, "vocab_size", "token_embd.weight"));

        cases.add(hostile("wrong architecture", v -> v.set("general.architecture", GgufValueType.STRING, "qwen2"),
                "unsupported architecture 'qwen2'", "general.architecture"));
        cases.add(hostile("architecture name without its keys", v -> v.set("general.architecture", GgufValueType.STRING, "bitnet-25"),
                "missing metadata key 'bitnet-25."));
        cases.add(hostile("embedding_length as a string", v -> v.set(A + "embedding_length", GgufValueType.STRING, "128"),
                A + "embedding_length", "STRING"));
        cases.add(hostile("epsilon as a bool", v -> v.set(A + "attention.layer_norm_rms_epsilon", GgufValueType.BOOL, true),
                A + "attention.layer_norm_rms_epsilon"));
        cases.add(hostile("head_count does not divide embedding_length", v -> v.u32(A + "attention.head_count", 3), "head_count 3 does not divide"));
        cases.add(hostile("head_count 0", v -> v.u32(A + "attention.head_count", 0), "head_count 0"));
        cases.add(hostile("head_count_kv does not divide head_count", v -> v.u32(A + "attention.head_count_kv", 3), "head_count_kv 3"));
        cases.add(hostile("head_count_kv 0", v -> v.u32(A + "attention.head_count_kv", 0), "head_count_kv 0"));
        cases.add(hostile("rope.dimension_count wrong", v -> v.u32(A + "rope.dimension_count", 32), "rope.dimension_count", "got 32"));
        cases.add(hostile("embedding_length not a multiple of 128", v -> v.u32(A + "embedding_length", 100), "embedding_length", "100"));
        cases.add(hostile("block_count 0", v -> v.u32(A + "block_count", 0), "block_count"));
        cases.add(hostile("block_count huge", v -> v.u32(A + "block_count", 1_000_000), "block_count"));
        cases.add(hostile("block_count past the tensors", v -> v.u32(A + "block_count", 2), "missing tensor 'blk.1."));
        cases.add(hostile("context_length 0", v -> v.u32(A + "context_length", 0), "context_length"));
        cases.add(hostile("vocab_size disagrees with token_embd", v -> v.u32(A + "vocab_size", 301), A + "vocab_size", "token_embd.weight"));
        cases.add(hostile("vocab_size 0", v -> v.u32(A + "vocab_size", 0), A + "vocab_size"));
        cases.add(hostile("epsilon NaN", v -> v.f32(A + "attention.layer_norm_rms_epsilon", Float.NaN), "layer_norm_rms_epsilon"));
        cases.add(hostile("epsilon negative", v -> v.f32(A + "attention.layer_norm_rms_epsilon", -1e-5f), "layer_norm_rms_epsilon"));
        cases.add(hostile("freq_base infinite", v -> v.f32(A + "rope.freq_base", Float.POSITIVE_INFINITY), "rope.freq_base"));
        // Huge dimensions: must be refused from the metadata and tensor table, never by allocating for them.
        cases.add(hostile("embedding_length above int range", v -> v.u32(A + "embedding_length", 0xFFFF_FF80L), A + "embedding_length", "int"));
        cases.add(hostile("feed_forward_length near 2^64", v -> v.set(A + "feed_forward_length", GgufValueType.UINT64, -128L),
                A + "feed_forward_length", "does not fit"));
        cases.add(hostile("consistent huge dims (2^30) the tensors do not have", v -> {
            v.u32(A + "embedding_length", 1 << 30);
            v.u32(A + "feed_forward_length", 1 << 30);
            v.u32(A + "rope.dimension_count", 1 << 29);
        }, "token_embd.weight", "shape"));
        cases.add(hostile("context_length 2^31-1 with dims whose KV cache overflows", v -> {
            v.u32(A + "context_length", Integer.MAX_VALUE);
            v.u32(A + "embedding_length", 1 << 30);
            v.u32(A + "rope.dimension_count", 1 << 29);
        }, "token_embd.weight"));

        // Tensors.
        for (String t : List.of("token_embd.weight", "output_norm.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.0.ffn_sub_norm.weight"))
            cases.add(hostile("missing tensor " + t, v -> v.tensors.remove(t), "missing tensor '" + t + "'"));
        cases.add(hostile("separate output.weight", v -> v.tensors.put("output.weight", v.tensor("token_embd.weight")), "output.weight"));
        cases.add(hostile("I2_S projection stored as F32", v -> v.tensors.put("blk.0.attn_q.weight",
                new Tensor(GgufType.F32, new long[]{128, 128}, new byte[128 * 128 * 4])), "blk.0.attn_q.weight", "type F32"));
        cases.add(hostile("embedding stored as F32", v -> v.tensors.put("token_embd.weight",
                new Tensor(GgufType.F32, new long[]{128, 300}, new byte[128 * 300 * 4])), "token_embd.weight", "type F32"));
        cases.add(hostile("norm stored as F16", v -> v.tensors.put("blk.0.attn_norm.weight",
                new Tensor(GgufType.F16, new long[]{128}, new byte[256])), "blk.0.attn_norm.weight", "type F16"));
        cases.add(hostile("projection with the wrong shape", v -> {
            Tensor q = v.tensor("blk.0.attn_q.weight");
            v.tensors.put("blk.0.attn_q.weight", new Tensor(GgufType.I2_S, new long[]{128, 64}, java.util.Arrays.copyOf(q.data(), 128 * 64 / 4 + 32)));
        }, "blk.0.attn_q.weight", "shape [128, 64]"));
        cases.add(hostile("projection transposed", v -> {
            Tensor d = v.tensor("blk.0.ffn_down.weight");
            v.tensors.put("blk.0.ffn_down.weight", new Tensor(GgufType.I2_S, new long[]{128, 128, 1}, d.data()));
        }, "blk.0.ffn_down.weight", "shape"));
        cases.add(hostile("norm of the wrong length", v -> v.tensors.put("output_norm.weight",
                new Tensor(GgufType.F32, new long[]{64}, new byte[256])), "output_norm.weight", "shape"));
        cases.add(hostile("I2_S scale NaN", v -> setScale(v.tensor("blk.0.ffn_up.weight"), Float.NaN), "blk.0.ffn_up.weight", "non-finite", "NaN"));
        cases.add(hostile("I2_S scale +Inf", v -> setScale(v.tensor("blk.0.attn_k.weight"), Float.POSITIVE_INFINITY), "blk.0.attn_k.weight", "Infinity"));
        cases.add(hostile("I2_S scale -Inf", v -> setScale(v.tensor("blk.0.attn_output.weight"), Float.NEGATIVE_INFINITY), "blk.0.attn_output.weight", "Infinity"));
        cases.add(hostile("I2_S code 3 in a projection", v -> v.tensor("blk.0.attn_v.weight").data()[5] = (byte) 0x0C,
                "blk.0.attn_v.weight", "code 3", "byte 0"));
        cases.add(hostile("I2_S code 3 at the last packed byte", v -> {
            Tensor t = v.tensor("blk.0.ffn_gate.weight");
            t.data()[128 * 128 / 4 - 1] = (byte) 0xC0;
        }, "blk.0.ffn_gate.weight", "code 3"));

        // Tokenizer keys.
        cases.add(hostile("tokens array one short", v -> {
            @SuppressWarnings("unchecked")
            List<String> tokens = (List<String>) ((GgufArray) v.meta.get("tokenizer.ggml.tokens").value()).values();
            v.set("tokenizer.ggml.tokens", GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, tokens.subList(0, 299)));
        }, "tokenizer.ggml.tokens", "299"));
        cases.add(hostile("token_type array too long", v -> v.set("tokenizer.ggml.token_type", GgufValueType.ARRAY,
                new GgufArray(GgufValueType.INT32, new int[301])), "tokenizer.ggml.token_type", "301"));
        cases.add(hostile("scores array too short", v -> v.set("tokenizer.ggml.scores", GgufValueType.ARRAY,
                new GgufArray(GgufValueType.FLOAT32, new float[3])), "tokenizer.ggml.scores", "3 entries"));
        cases.add(hostile("tokens not strings", v -> v.set("tokenizer.ggml.tokens", GgufValueType.ARRAY,
                new GgufArray(GgufValueType.INT32, new int[300])), "tokenizer.ggml.tokens", "ARRAY of STRING"));
        cases.add(hostile("bos id out of range", v -> v.u32("tokenizer.ggml.bos_token_id", 300), "tokenizer.ggml.bos_token_id", "300"));
        cases.add(hostile("eos id 2^32-1", v -> v.u32("tokenizer.ggml.eos_token_id", 0xFFFF_FFFFL), "tokenizer.ggml.eos_token_id"));
        cases.add(hostile("padding id negative", v -> v.set("tokenizer.ggml.padding_token_id", GgufValueType.INT32, -2),
                "tokenizer.ggml.padding_token_id", "-2"));
        cases.add(hostile("unsupported tokenizer model", v -> v.set("tokenizer.ggml.model", GgufValueType.STRING, "bert"),
                "tokenizer.ggml.model", "'bert'"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileModels")
    void hostileModelFailsWithATypedMessage(Consumer<Variant> edit, String[] fragments) throws Exception {
        Variant v = new Variant();
        edit.accept(v);
        Path f = v.write(String.join("_", fragments));
        // Only GgufException is acceptable: an IllegalArgumentException from the tripwire means the backend was
        // created first; anything else (ArithmeticException, IndexOutOfBounds, OOM) is an unhandled case.
        GgufException e;
        if (fragments[0].startsWith("tokenizer.")) {
            try (Model m = Model.load(f, Model.Options.builder().backend(Backend.JAVA).threads(1).batchSize(8).build())) {
                e = assertThrows(GgufException.class, () -> GgufTokenizer.load(m.gguf(), m.config().vocabSize(), null));
            }
        } else {
            e = assertThrows(GgufException.class, () -> Model.load(f, TRIPWIRE).close());
        }
        for (String s : fragments) assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' lacks '" + s + "'");
        assertTrue(e.getMessage().length() < 400, "one precise message, not a dump: " + e.getMessage());
    }

    @Test
    void tripwireFiresOnAValidModel() throws Exception {
        Path f = new Variant().write("unchanged");
        var e = assertThrows(IllegalArgumentException.class, () -> Model.load(f, TRIPWIRE).close());
        assertTrue(e.getMessage().contains("unknown ISA 'tripwire-isa'"), e.getMessage());
        // And the rewritten, unchanged file is a working model: the variants differ from it only by their edit.
        try (Model m = Model.load(f, Model.Options.builder().backend(Backend.JAVA).threads(1).build()); Session s = m.newSession()) {
            assertEquals(300, s.decode(1).length);
        }
    }

    @Test
    void optionalKeysFallBackToTheirDefaults() throws Exception {
        // vocab_size from token_embd, rope.dimension_count = dim / heads, freq_base 10000: still a valid model.
        Variant v = new Variant().remove(A + "vocab_size").remove(A + "rope.dimension_count").remove(A + "rope.freq_base");
        try (Model m = Model.load(v.write("defaults"), Model.Options.builder().backend(Backend.JAVA).threads(1).build())) {
            assertEquals(300, m.config().vocabSize());
            assertEquals(64, m.config().headDim());
            assertEquals(10000f, m.config().ropeBase());
        }
    }

    @Test
    void codeThreeIsOnlyFoundByTheLoadTimeScan() throws Exception {
        // Documented: --no-check (checkWeights=false) skips the scan; the model then loads and the integer
        // kernels read code 3 as +2. The scan is what stands between such a file and the kernels.
        Variant v = new Variant();
        v.tensor("blk.0.attn_v.weight").data()[5] = (byte) 0x0C;
        Path f = v.write("code3_nocheck");
        try (Model m = Model.load(f, Model.Options.builder().threads(1).backend(Backend.JAVA).batchSize(8).checkWeights(false).build())) {
            assertEquals(300, m.config().vocabSize());
        }
        assertThrows(GgufException.class, () -> Model.load(f, Model.Options.builder().threads(1).backend(Backend.JAVA).batchSize(8).build()).close());
    }

    @Test
    void aFileThatIsNotGgufAtAllIsTyped() throws Exception {
        Path f = dir.resolve("text.gguf");
        java.nio.file.Files.writeString(f, "this is not a model, just some text that is long enough");
        var e = assertThrows(GgufException.class, () -> Model.load(f, TRIPWIRE).close());
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        Path empty = java.nio.file.Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertThrows(GgufException.class, () -> Model.load(empty, TRIPWIRE).close());
    }
}
