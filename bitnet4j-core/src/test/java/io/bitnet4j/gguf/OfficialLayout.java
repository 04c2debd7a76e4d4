package io.bitnet4j.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** Checks a GGUF file against the official 2B4T i2_s layout (spec §1.3 keys, §1.4 tensors, §2.2 I2_S). */
public final class OfficialLayout {
    private OfficialLayout() {}

    /** The shape a file is expected to have. */
    public record Dims(String arch, int vocab, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf) {}

    /** The 24 keys in the official order with their declared types. */
    static List<Object[]> keys(String arch) {
        GgufValueType U32 = GgufValueType.UINT32, STR = GgufValueType.STRING, ARR = GgufValueType.ARRAY;
        return List.of(
                new Object[]{"general.architecture", STR}, new Object[]{"general.name", STR},
                new Object[]{arch + ".vocab_size", U32}, new Object[]{arch + ".context_length", U32},
                new Object[]{arch + ".embedding_length", U32}, new Object[]{arch + ".block_count", U32},
                new Object[]{arch + ".feed_forward_length", U32}, new Object[]{arch + ".rope.dimension_count", U32},
                new Object[]{arch + ".attention.head_count", U32}, new Object[]{arch + ".attention.head_count_kv", U32},
                new Object[]{"tokenizer.ggml.add_bos_token", GgufValueType.BOOL},
                new Object[]{arch + ".attention.layer_norm_rms_epsilon", GgufValueType.FLOAT32},
                new Object[]{arch + ".rope.freq_base", GgufValueType.FLOAT32}, new Object[]{"general.file_type", U32},
                new Object[]{"tokenizer.ggml.model", STR}, new Object[]{"tokenizer.ggml.tokens", ARR},
                new Object[]{"tokenizer.ggml.scores", ARR}, new Object[]{"tokenizer.ggml.token_type", ARR},
                new Object[]{"tokenizer.ggml.merges", ARR}, new Object[]{"tokenizer.ggml.bos_token_id", U32},
                new Object[]{"tokenizer.ggml.eos_token_id", U32}, new Object[]{"tokenizer.ggml.padding_token_id", U32},
                new Object[]{"tokenizer.chat_template", STR}, new Object[]{"general.quantization_version", U32});
    }

    public static void check(GgufFile g, Dims d) throws GgufException {
        checkMetadata(g, d);
        checkTensors(g, d);
    }

    public static void checkMetadata(GgufFile g, Dims d) throws GgufException {
        String a = d.arch();
        List<Object[]> keys = keys(a);
        assertEquals(keys.stream().map(k -> (String) k[0]).toList(), new ArrayList<>(g.metadata().keySet()), "key names and order");
        for (Object[] k : keys) assertEquals(k[1], g.typeOf((String) k[0]).orElseThrow(), "type of " + k[0]);
        assertEquals(a, g.getString("general.architecture"));
        assertEquals(d.vocab(), g.getInt(a + ".vocab_size"));
        assertEquals(d.nEmbd(), g.getInt(a + ".embedding_length"));
        assertEquals(d.nLayer(), g.getInt(a + ".block_count"));
        assertEquals(d.nFf(), g.getInt(a + ".feed_forward_length"));
        assertEquals(d.nHead(), g.getInt(a + ".attention.head_count"));
        assertEquals(d.nHeadKv(), g.getInt(a + ".attention.head_count_kv"));
        assertEquals(d.nEmbd() / d.nHead(), g.getInt(a + ".rope.dimension_count"));
        assertEquals(40, g.getInt("general.file_type"));
        assertEquals(2, g.getInt("general.quantization_version"));
        assertEquals("gpt2", g.getString("tokenizer.ggml.model"));
        assertTrue(g.getBoolean("tokenizer.ggml.add_bos_token"));
        assertTrue(g.getString("tokenizer.chat_template").contains("BITNET"));
        assertFalse(g.has("tokenizer.ggml.pre"));
        assertFalse(g.has("general.alignment"));
        assertEquals(GgufValueType.STRING, ((GgufArray) g.metadata().get("tokenizer.ggml.tokens")).elementType());
        assertEquals(GgufValueType.FLOAT32, ((GgufArray) g.metadata().get("tokenizer.ggml.scores")).elementType());
        assertEquals(GgufValueType.INT32, ((GgufArray) g.metadata().get("tokenizer.ggml.token_type")).elementType());
        assertEquals(GgufValueType.STRING, ((GgufArray) g.metadata().get("tokenizer.ggml.merges")).elementType());

        List<String> tokens = g.getStringArray("tokenizer.ggml.tokens");
        float[] scores = g.getFloatArray("tokenizer.ggml.scores");
        int[] types = g.getIntArray("tokenizer.ggml.token_type");
        assertEquals(d.vocab(), tokens.size());
        assertEquals(d.vocab(), scores.length);
        assertEquals(d.vocab(), types.length);
        int bos = g.getInt("tokenizer.ggml.bos_token_id"), eos = g.getInt("tokenizer.ggml.eos_token_id");
        assertEquals("<|begin_of_text|>", tokens.get(bos));
        assertEquals("<|end_of_text|>", tokens.get(eos));
        assertEquals(eos, g.getInt("tokenizer.ggml.padding_token_id"));
        assertTrue(tokens.contains("<|eot_id|>"));
        for (int i = 0; i < d.vocab(); i++) {
            boolean special = tokens.get(i).startsWith("<|") && tokens.get(i).endsWith("|>");
            assertEquals(special ? 3 : 1, types[i], "token_type of " + i + " " + tokens.get(i));
            assertEquals(special ? -1000f : 0f, scores[i], "score of " + i);
        }
        // Every merge "l r" joins two tokens into a third (merge rank = array index).
        java.util.Set<String> vocab = new java.util.HashSet<>(tokens);
        for (String m : g.getStringArray("tokenizer.ggml.merges")) {
            int sp = m.indexOf(' ', 1);
            assertTrue(sp > 0, m);
            String l = m.substring(0, sp), r = m.substring(sp + 1);
            assertTrue(vocab.contains(l) && vocab.contains(r) && vocab.contains(l + r), "merge " + m);
        }
    }

    /** Expected tensor names, types and shapes, in the official order. */
    static List<Object[]> expectedTensors(Dims d) {
        long e = d.nEmbd(), kv = (long) d.nEmbd() / d.nHead() * d.nHeadKv(), ff = d.nFf();
        List<Object[]> t = new ArrayList<>();
        t.add(new Object[]{"token_embd.weight", GgufType.F16, new long[]{e, d.vocab()}});
        t.add(new Object[]{"output_norm.weight", GgufType.F32, new long[]{e}});
        for (int i = 0; i < d.nLayer(); i++) {
            String p = "blk." + i + ".";
            t.add(new Object[]{p + "attn_norm.weight", GgufType.F32, new long[]{e}});
            t.add(new Object[]{p + "attn_q.weight", GgufType.I2_S, new long[]{e, e}});
            t.add(new Object[]{p + "attn_k.weight", GgufType.I2_S, new long[]{e, kv}});
            t.add(new Object[]{p + "attn_v.weight", GgufType.I2_S, new long[]{e, kv}});
            t.add(new Object[]{p + "attn_output.weight", GgufType.I2_S, new long[]{e, e}});
            t.add(new Object[]{p + "attn_sub_norm.weight", GgufType.F32, new long[]{e}});
            t.add(new Object[]{p + "ffn_norm.weight", GgufType.F32, new long[]{e}});
            t.add(new Object[]{p + "ffn_gate.weight", GgufType.I2_S, new long[]{e, ff}});
            t.add(new Object[]{p + "ffn_up.weight", GgufType.I2_S, new long[]{e, ff}});
            t.add(new Object[]{p + "ffn_down.weight", GgufType.I2_S, new long[]{ff, e}});
            t.add(new Object[]{p + "ffn_sub_norm.weight", GgufType.F32, new long[]{ff}});
        }
        return t;
    }

    public static void checkTensors(GgufFile g, Dims d) {
        List<Object[]> expected = expectedTensors(d);
        assertEquals(expected.size(), g.tensors().size(), "tensor count (no output.weight)");
        assertTrue(g.findTensor("output.weight").isEmpty());
        for (int i = 0; i < expected.size(); i++) {
            GgufTensorInfo t = g.tensors().get(i);
            Object[] x = expected.get(i);
            assertEquals(x[0], t.name(), "tensor " + i);
            assertEquals(x[1], t.type(), t.name());
            assertArrayEquals((long[]) x[2], t.shape(), t.name());
            long n = t.elements();
            long bytes = switch (t.type()) {
                case F32 -> 4 * n;
                case F16 -> 2 * n;
                case I2_S -> n / 4 + 32;
            };
            assertEquals(bytes, t.byteSize(), t.name());
            assertEquals(0, t.dataOffset() % 32, t.name());
            if (t.type() == GgufType.I2_S) checkI2s(g, t);
        }
    }

    /** No code 3 in the packed bytes, and a finite positive scale at byte n/4. */
    public static void checkI2s(GgufFile g, GgufTensorInfo t) {
        MemorySegment s = g.data(t);
        long packed = t.elements() / 4;
        for (long i = 0; i < packed; i++) {
            int b = s.get(ValueLayout.JAVA_BYTE, i);
            for (int shift = 0; shift < 8; shift += 2)
                if (((b >> shift) & 3) == 3) fail(t.name() + " has code 3 at byte " + i);
        }
        float scale = g.i2sScale(t);
        assertTrue(Float.isFinite(scale) && scale > 0, t.name() + " scale " + scale);
    }
}
