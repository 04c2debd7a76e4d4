package io.bitnet4j.synthetic;

import static org.junit.jupiter.api.Assertions.*;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import io.bitnet4j.gguf.GgufType;
import io.bitnet4j.gguf.OfficialLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelTest {
    @TempDir
    Path dir;

    private static OfficialLayout.Dims dims(SyntheticModel.Spec s) {
        return new OfficialLayout.Dims(s.arch(), s.vocab(), s.nEmbd(), s.nLayer(), s.nHead(), s.nHeadKv(), s.nFf());
    }

    @Test
    void tinyHasTheOfficialLayout() throws Exception {
        SyntheticModel.Spec spec = SyntheticModel.Spec.tiny();
        Path f = dir.resolve("tiny.gguf");
        SyntheticModel.write(f, spec, null, 7);
        try (GgufFile g = GgufFile.open(f)) {
            OfficialLayout.check(g, dims(spec)); // keys, order, types, tensors, sizes, no code 3, scale > 0
            assertEquals(2 + 11 * spec.nLayer(), g.tensors().size());
            assertEquals(512, g.getInt("bitnet-b1.58.context_length"));
            assertEquals(64, g.getInt("bitnet-b1.58.rope.dimension_count"));
            assertEquals(1e-5f, g.getFloat("bitnet-b1.58.attention.layer_norm_rms_epsilon"));
            assertEquals(500000f, g.getFloat("bitnet-b1.58.rope.freq_base"));
            List<String> tokens = g.getStringArray("tokenizer.ggml.tokens");
            assertEquals(504, g.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(505, g.getInt("tokenizer.ggml.eos_token_id"));
            assertEquals("<|eot_id|>", tokens.get(511));
            assertEquals("!", tokens.get(0));
            assertEquals("Ā", tokens.get(188)); // byte 0x00: the first non-printable byte, after the 188 printable ones
            assertEquals("Ġ", tokens.get(220)); // byte 0x20
            assertTrue(tokens.contains("Ġthe"), "the trainer learns common words");
            assertEquals(new HashSet<>(tokens).size(), tokens.size(), "tokens are unique");
            checkWeights(g);
        }
    }

    /** I2_S: tail = scale then 28 zero bytes; codes are roughly 1/3 each; norms near 1; embedding F16 small. */
    private static void checkWeights(GgufFile g) throws Exception {
        for (GgufTensorInfo t : g.tensors()) {
            MemorySegment s = g.data(t);
            switch (t.type()) {
                case I2_S -> {
                    long n4 = t.elements() / 4;
                    float scale = s.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), n4);
                    float expected = (float) (Math.sqrt(2 / Math.PI) / Math.sqrt(t.dim(0)));
                    assertEquals(expected, scale, expected * 0.06, t.name());
                    for (long i = n4 + 4; i < t.byteSize(); i++) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), t.name() + " tail");
                    long[] counts = new long[4];
                    for (long i = 0; i < n4; i++) {
                        int b = s.get(ValueLayout.JAVA_BYTE, i);
                        for (int sh = 0; sh < 8; sh += 2) counts[(b >> sh) & 3]++;
                    }
                    assertEquals(0, counts[3], t.name());
                    double zero = counts[1] / (double) t.elements();
                    assertTrue(zero > 0.27 && zero < 0.35, t.name() + " zero fraction " + zero);
                    assertTrue(Math.abs(counts[0] - counts[2]) < 0.05 * t.elements(), t.name() + " sign balance " + Arrays.toString(counts));
                }
                case F32 -> {
                    for (long i = 0; i < t.elements(); i++) {
                        float v = s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                        assertTrue(v >= 0.9f && v <= 1.1f, t.name() + "[" + i + "] = " + v);
                    }
                }
                case F16 -> {
                    double sum2 = 0;
                    for (long i = 0; i < t.elements(); i++) {
                        float v = Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                        assertTrue(Float.isFinite(v));
                        sum2 += v * v;
                    }
                    double std = Math.sqrt(sum2 / t.elements());
                    assertEquals(1 / Math.sqrt(t.dim(0)), std, 0.1 / Math.sqrt(t.dim(0)), "embedding std");
                }
            }
        }
    }

    /** Same shape as the shared fixture pa.gguf (made for bitnet.cpp): same keys and types, same tensor table. */
    @Test
    void tinyMatchesTheParityFixtureStructurally() throws Exception {
        Path f = dir.resolve("tiny.gguf");
        SyntheticModel.write(f, SyntheticModel.Spec.tiny(), null, 9);
        try (GgufFile ours = GgufFile.open(f); GgufFile pa = GgufFile.open(io.bitnet4j.SharedFiles.parity("pa.gguf"))) {
            assertEquals(List.copyOf(pa.metadata().keySet()), List.copyOf(ours.metadata().keySet()));
            for (String k : pa.metadata().keySet()) assertEquals(pa.typeOf(k), ours.typeOf(k), k);
            for (String k : List.of("bitnet-b1.58.vocab_size", "bitnet-b1.58.context_length", "bitnet-b1.58.rope.dimension_count",
                    "general.file_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id"))
                assertEquals(pa.getLong(k), ours.getLong(k), k);
            assertEquals(pa.getStringArray("tokenizer.ggml.tokens").subList(0, 256), ours.getStringArray("tokenizer.ggml.tokens").subList(0, 256));
            assertEquals(pa.getStringArray("tokenizer.ggml.tokens").subList(504, 512), ours.getStringArray("tokenizer.ggml.tokens").subList(504, 512));
            assertEquals(pa.tensors().size(), ours.tensors().size());
            long paData = pa.tensors().getFirst().dataOffset(), ourData = ours.tensors().getFirst().dataOffset();
            for (int i = 0; i < pa.tensors().size(); i++) {
                GgufTensorInfo a = pa.tensors().get(i), b = ours.tensors().get(i);
                assertEquals(a.name(), b.name());
                assertEquals(a.type(), b.type(), a.name());
                assertArrayEquals(a.shape(), b.shape(), a.name());
                assertEquals(a.byteSize(), b.byteSize(), a.name());
                assertEquals(a.dataOffset() - paData, b.dataOffset() - ourData, a.name() + " offset in the data section");
            }
        }
    }

    @Test
    void sameSeedSameBytesDifferentSeedDifferentBytes() throws Exception {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        SyntheticModel.write(a, SyntheticModel.Spec.tiny(), null, 123);
        SyntheticModel.write(b, SyntheticModel.Spec.tiny(), null, 123);
        SyntheticModel.write(c, SyntheticModel.Spec.tiny(), null, 124);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void bitnet25ArchAndOtherDims() throws Exception {
        // The shape of the shared parity file pd.gguf.
        SyntheticModel.Spec spec = new SyntheticModel.Spec("bitnet-25", 768, 512, 2, 4, 1, 1280, 512, 500000f, 1e-5f);
        Path f = dir.resolve("pd.gguf");
        SyntheticModel.write(f, spec, null, 1);
        try (GgufFile g = GgufFile.open(f)) {
            OfficialLayout.check(g, dims(spec));
            assertEquals(128, g.getInt("bitnet-25.rope.dimension_count"));
            assertEquals(GgufType.I2_S, g.tensor("blk.1.ffn_down.weight").type());
        }
    }

    @Test
    void suppliedVocabularyIsWrittenAsIs() throws Exception {
        SyntheticModel.Vocabulary gen = SyntheticModel.generateVocabulary(512, 5);
        SyntheticModel.Vocabulary v = new SyntheticModel.Vocabulary(gen.tokens(), gen.merges().subList(0, 100), gen.types(),
                gen.bos(), gen.eos(), gen.eot());
        Path f = dir.resolve("v.gguf");
        SyntheticModel.write(f, SyntheticModel.Spec.tiny(), v, 5);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(gen.tokens(), g.getStringArray("tokenizer.ggml.tokens"));
            assertEquals(100, g.getStringArray("tokenizer.ggml.merges").size());
        }
        SyntheticModel.Vocabulary wrongSize = SyntheticModel.generateVocabulary(600, 5);
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.write(f, SyntheticModel.Spec.tiny(), wrongSize, 5));
    }

    @Test
    void largeVocabularyHasLlama3Specials() {
        SyntheticModel.Vocabulary v = SyntheticModel.generateVocabulary(128256, 1);
        assertEquals(128256, v.tokens().size());
        assertEquals(128000, v.bos());
        assertEquals(128001, v.eos());
        assertEquals(128009, v.eot());
        assertEquals("<|begin_of_text|>", v.tokens().get(128000));
        assertEquals("<|eot_id|>", v.tokens().get(128009));
        assertEquals("<|reserved_special_token_247|>", v.tokens().get(128255));
        assertEquals(128000 - 256, v.merges().size());
        assertEquals(128256, new HashSet<>(v.tokens()).size());
        int[] types = v.types();
        for (int i = 0; i < 128256; i++) assertEquals(i >= 128000 ? 3 : 1, types[i]);
        assertTrue(v.tokens().subList(0, 128000).stream().allMatch(t -> t.length() <= 30), "left side at most 12 chars + a short-pool token");
    }

    @Test
    void presetsAndValidation() {
        SyntheticModel.Spec s = SyntheticModel.Spec.b2b4t();
        assertEquals(128, s.headDim());
        assertEquals(640, s.nEmbdKv());
        assertEquals(List.of(128256, 2560, 30, 20, 5, 6912, 4096), List.of(s.vocab(), s.nEmbd(), s.nLayer(), s.nHead(), s.nHeadKv(), s.nFf(), s.ctx()));
        assertEquals(500000f, s.ropeBase());
        assertEquals(1e-5f, s.eps());
        assertThrows(IllegalArgumentException.class, () -> s.withArch("qwen2"));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticModel.Spec("bitnet-25", 512, 200, 2, 4, 1, 768, 512, 1e4f, 1e-5f));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticModel.Spec("bitnet-25", 512, 256, 2, 4, 3, 768, 512, 1e4f, 1e-5f));
    }
}
