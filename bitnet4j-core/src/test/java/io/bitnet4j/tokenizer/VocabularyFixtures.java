package io.bitnet4j.tokenizer;

import io.bitnet4j.gguf.GgufWriter;
import io.bitnet4j.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes the small vocabularies of {@code src/test/resources/io/bitnet4j/tokenizer/vocab/}: one per kind of
 * tokenizer the BitNet models ship, each a metadata-only GGUF (architecture {@code llama} keys, so llama.cpp
 * loads it with {@code vocab_only}) that bitnet.cpp's tokenizer was run on to make the expected ids beside them
 * (see the README there).
 *
 * <ul>
 *   <li>{@code llama-bpe.gguf}: byte-level BPE with {@code tokenizer.ggml.pre = llama-bpe} (Llama3-8B-1.58);</li>
 *   <li>{@code falcon3.gguf}: the same vocabulary with {@code tokenizer.ggml.pre = falcon3} (Falcon3-1.58bit);</li>
 *   <li>{@code spm.gguf}: SentencePiece ({@code tokenizer.ggml.model = llama}: bitnet_b1_58-large / -3B): unknown,
 *       BOS, EOS, the 256 byte tokens, then pieces with descending scores made from the BPE vocabulary's merges
 *       (so every piece is reachable by merging pairs), and a few non-ASCII characters.</li>
 * </ul>
 *
 * Run: {@code java -cp ... io.bitnet4j.tokenizer.VocabularyFixtures DIR}; the output is a pure function of the code.
 */
final class VocabularyFixtures {
    private VocabularyFixtures() {}

    static final int BPE_SIZE = 600;

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        SyntheticModel.Vocabulary bpe = withExtraMerges(SyntheticModel.generateVocabulary(BPE_SIZE, 17));
        writeBpe(dir.resolve("llama-bpe.gguf"), bpe, "llama-bpe");
        writeBpe(dir.resolve("falcon3.gguf"), bpe, "falcon3");
        writeSentencePiece(dir.resolve("spm.gguf"), bpe);
    }

    /**
     * Merges the English training text lacks but that tell the pre-tokenizers apart: digit runs (LLaMA-3 cuts
     * numbers into groups of three, Falcon3 into single digits), punctuation runs, runs of spaces and newlines,
     * contractions and a space before a digit or symbol.
     */
    static final List<String> EXTRA_MERGES = List.of("3 3", "33 3", "1 2", "12 3", "4 5", "Ġ 1", "Ġ $", ". .", ".. .",
            "! !", "!! !", "? !", "Ġ Ġ", "ĠĠ Ġ", "Ċ Ċ", "Ġ Ċ", "' s", "' t", "' l", "'l l", "Ġ ,", "Ġ (", ") .", "` `");

    /** The vocabulary with those of {@link #EXTRA_MERGES} it lacks (and their results) inserted before the special tokens. */
    static SyntheticModel.Vocabulary withExtraMerges(SyntheticModel.Vocabulary v) {
        int normal = v.bos(); // the special tokens start at BOS
        List<String> tokens = new ArrayList<>(v.tokens().subList(0, normal));
        List<String> merges = new ArrayList<>(v.merges());
        for (String merge : EXTRA_MERGES) {
            String[] parts = merge.split(" ");
            String joined = parts[0] + parts[1];
            if (tokens.contains(joined)) continue; // learnt from the text already
            if (!tokens.contains(parts[0]) || !tokens.contains(parts[1]))
                throw new IllegalStateException("extra merge '" + merge + "' joins a token the vocabulary lacks");
            tokens.add(joined);
            merges.add(merge);
        }
        int added = tokens.size() - normal;
        tokens.addAll(v.tokens().subList(normal, v.tokens().size()));
        int[] types = new int[tokens.size()];
        int[] old = v.types();
        for (int i = 0; i < types.length; i++) types[i] = i < normal + added ? TokenizerData.TYPE_NORMAL : old[i - added];
        return new SyntheticModel.Vocabulary(tokens, merges, types, v.bos() + added, v.eos() + added, v.eot() + added);
    }

    private static void writeBpe(Path out, SyntheticModel.Vocabulary v, String pre) throws IOException {
        GgufWriter w = header(v.tokens().size());
        w.putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", pre)
                .putStringArray("tokenizer.ggml.tokens", v.tokens())
                .putFloat32Array("tokenizer.ggml.scores", v.scores())
                .putInt32Array("tokenizer.ggml.token_type", v.types())
                .putStringArray("tokenizer.ggml.merges", v.merges())
                .putUInt32("tokenizer.ggml.bos_token_id", v.bos())
                .putUInt32("tokenizer.ggml.eos_token_id", v.eos());
        w.write(out);
    }

    private static void writeSentencePiece(Path out, SyntheticModel.Vocabulary bpe) throws IOException {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(TokenizerData.TYPE_UNKNOWN, TokenizerData.TYPE_CONTROL, TokenizerData.TYPE_CONTROL));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(TokenizerData.TYPE_BYTE);
            scores.add(0f);
        }
        // pieces: the printable ASCII characters and a few others, then each BPE merge's result as text
        Set<String> pieces = new LinkedHashSet<>();
        pieces.add(SentencePiece.SPACE);
        for (char c = '!'; c <= '~'; c++) pieces.add(String.valueOf(c));
        for (String s : List.of("é", "ü", "中", "文", "☀", "ä")) pieces.add(s);
        for (String merge : bpe.merges()) {
            String joined = merge.replaceFirst(" ", "");
            String text = utf8(ByteLevel.decode(joined));
            if (text != null && !text.isEmpty() && !text.contains("\n")) pieces.add(text.replace(" ", SentencePiece.SPACE));
        }
        int rank = 0;
        for (String p : pieces) {
            if (tokens.contains(p)) continue;
            tokens.add(p);
            types.add(TokenizerData.TYPE_NORMAL);
            scores.add(p.codePointCount(0, p.length()) == 1 ? -1000f - rank : -rank); // characters rank below merged pieces
            rank++;
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        GgufWriter w = header(tokens.size());
        w.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", tokens)
                .putFloat32Array("tokenizer.ggml.scores", s)
                .putInt32Array("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray())
                .putUInt32("tokenizer.ggml.bos_token_id", 1)
                .putUInt32("tokenizer.ggml.eos_token_id", 2)
                .putUInt32("tokenizer.ggml.unknown_token_id", 0)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putBool("tokenizer.ggml.add_eos_token", false);
        w.write(out);
    }

    /** The model keys of the shared parity file pl.gguf (architecture llama), with this vocabulary's size. */
    private static GgufWriter header(int vocab) {
        return new GgufWriter().putString("general.architecture", "llama").putString("general.name", "bitnet4j-vocab")
                .putUInt32("llama.vocab_size", vocab).putUInt32("llama.context_length", 512)
                .putUInt32("llama.embedding_length", 256).putUInt32("llama.block_count", 2)
                .putUInt32("llama.feed_forward_length", 768).putUInt32("llama.rope.dimension_count", 32)
                .putUInt32("llama.attention.head_count", 8).putUInt32("llama.attention.head_count_kv", 2)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f).putFloat32("llama.rope.freq_base", 500000f)
                .putUInt32("general.file_type", 40);
    }

    /** The bytes as a string when they are valid UTF-8, else null (a piece must be whole characters). */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
