package io.bitnet4j.fuzz;

import io.bitnet4j.gguf.GgufType;
import io.bitnet4j.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the committed seed for GgufFuzzTest: a small valid GGUF with every value type the loader reads, a
 * byte-level tokenizer and one tensor of each model type. Run once by hand when the format changes:
 * {@code java ... io.bitnet4j.fuzz.FuzzSeeds src/test/resources/io/bitnet4j/fuzz/GgufFuzzTestInputs/openAndReadEverything}
 */
final class FuzzSeeds {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        List<String> tokens = new java.util.ArrayList<>();
        for (int b = 0; b < 8; b++) tokens.add(String.valueOf((char) FuzzVocab.byteChar('a' + b)));
        tokens.add("ab");
        tokens.add("<|eot_id|>");
        new GgufWriter()
                .putString("general.architecture", "bitnet-b1.58")
                .putUInt32("bitnet-b1.58.vocab_size", tokens.size())
                .putUInt32("bitnet-b1.58.context_length", 64)
                .putUInt32("bitnet-b1.58.embedding_length", 128)
                .putUInt32("bitnet-b1.58.block_count", 1)
                .putUInt32("bitnet-b1.58.feed_forward_length", 128)
                .putUInt32("bitnet-b1.58.rope.dimension_count", 64)
                .putUInt32("bitnet-b1.58.attention.head_count", 2)
                .putUInt32("bitnet-b1.58.attention.head_count_kv", 1)
                .putFloat32("bitnet-b1.58.attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32("bitnet-b1.58.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putString("tokenizer.ggml.model", "gpt2")
                .putStringArray("tokenizer.ggml.tokens", tokens)
                .putFloat32Array("tokenizer.ggml.scores", new float[tokens.size()])
                .putInt32Array("tokenizer.ggml.token_type", new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 3})
                .putStringArray("tokenizer.ggml.merges", List.of("a b"))
                .putUInt32("tokenizer.ggml.bos_token_id", 0)
                .putUInt32("tokenizer.ggml.eos_token_id", 9)
                .putUInt64("general.big", -1L)
                .putInt8("general.i8", -3)
                .addTensor("token_embd.weight", GgufType.F16, new long[] {4, 2}, GgufWriter.TensorData.of(new byte[16]))
                .addTensor("output_norm.weight", GgufType.F32, new long[] {4}, GgufWriter.TensorData.of(new byte[16]))
                .addTensor("blk.0.attn_q.weight", GgufType.I2_S, new long[] {128, 1}, GgufWriter.TensorData.of(new byte[32 + 32]))
                .write(dir.resolve("seed-valid.gguf"));
    }
}
