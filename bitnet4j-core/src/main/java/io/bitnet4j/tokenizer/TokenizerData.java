package io.bitnet4j.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * The tokenizer-related contents of a GGUF file (or a Hugging Face tokenizer.json), independent of the file format.
 *
 * @param tokens       {@code tokenizer.ggml.tokens}: token strings (GPT-2 byte-to-unicode form for byte-level BPE,
 *                     "▁" for spaces for SentencePiece); index = id
 * @param merges       {@code tokenizer.ggml.merges}: "left right" strings; index = merge rank (lower merges first);
 *                     empty for SentencePiece
 * @param tokenTypes   {@code tokenizer.ggml.token_type}: per token, 1 normal, 2 unknown, 3 control,
 *                     4 user-defined, 5 unused, 6 byte; may be null (then all normal)
 * @param bos          {@code tokenizer.ggml.bos_token_id}, or -1
 * @param eos          {@code tokenizer.ggml.eos_token_id}, or -1
 * @param eot          id of "&lt;|eot_id|&gt;" or -1; see {@link #findToken} to derive it from the tokens
 * @param addBos       {@code tokenizer.ggml.add_bos_token}
 * @param preTokenizer {@code tokenizer.ggml.pre}, or null when the key is absent
 * @param chatTemplate {@code tokenizer.chat_template}, or null
 * @param model        {@code tokenizer.ggml.model}: {@link #BPE} ("gpt2") or {@link #SENTENCEPIECE} ("llama")
 * @param scores       {@code tokenizer.ggml.scores}, which SentencePiece merges by (higher first); may be null for BPE
 * @param addSpacePrefix {@code tokenizer.ggml.add_space_prefix} (SentencePiece: a space before the text, default true)
 */
public record TokenizerData(List<String> tokens, List<String> merges, int[] tokenTypes, int bos, int eos, int eot,
                            boolean addBos, String preTokenizer, String chatTemplate, String model, float[] scores,
                            boolean addSpacePrefix) {

    /** GGUF's name of byte-level BPE. */
    public static final String BPE = "gpt2";
    /** GGUF's name of SentencePiece (LLaMA-1/2 style vocabularies). */
    public static final String SENTENCEPIECE = "llama";

    /** A byte-level BPE vocabulary. */
    public TokenizerData(List<String> tokens, List<String> merges, int[] tokenTypes, int bos, int eos, int eot,
                         boolean addBos, String preTokenizer, String chatTemplate) {
        this(tokens, merges, tokenTypes, bos, eos, eot, addBos, preTokenizer, chatTemplate, BPE, null, false);
    }

    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    public TokenizerData {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(merges, "merges");
        if (tokenTypes != null && tokenTypes.length != tokens.size()) {
            throw new IllegalArgumentException(
                    "token_type has " + tokenTypes.length + " entries but there are " + tokens.size() + " tokens");
        }
        checkId("bos", bos, tokens.size());
        checkId("eos", eos, tokens.size());
        checkId("eot", eot, tokens.size());
        Objects.requireNonNull(model, "model");
        if (!model.equals(BPE) && !model.equals(SENTENCEPIECE))
            throw new IllegalArgumentException("tokenizer model '" + model + "' is not supported: only byte-level BPE ('gpt2') and SentencePiece ('llama')");
        if (model.equals(SENTENCEPIECE) && (scores == null || scores.length != tokens.size()))
            throw new IllegalArgumentException("a SentencePiece vocabulary needs one score per token, got "
                    + (scores == null ? "none" : scores.length + " for " + tokens.size() + " tokens"));
    }

    public boolean sentencePiece() {
        return model.equals(SENTENCEPIECE);
    }

    /**
     * Builds the record from GGUF key values, deriving the EOT id from the token text "&lt;|eot_id|&gt;" (as
     * llama.cpp does, since the GGUF has no key for it).
     */
    public static TokenizerData fromGguf(List<String> tokens, List<String> merges, int[] tokenTypes, int bos, int eos,
                                         boolean addBos, String pre, String chatTemplate) {
        return new TokenizerData(tokens, merges, tokenTypes, bos, eos, findToken(tokens, "<|eot_id|>"), addBos, pre,
                chatTemplate);
    }

    /** Index of the first token whose text equals {@code text}, or -1. */
    public static int findToken(List<String> tokens, String text) {
        return tokens.indexOf(text);
    }

    /** Type of token {@code id} (normal when no types were given). */
    public int typeOf(int id) {
        return tokenTypes == null ? TYPE_NORMAL : tokenTypes[id];
    }

    private static void checkId(String what, int id, int vocab) {
        if (id < -1 || id >= vocab) {
            throw new IllegalArgumentException(what + " id " + id + " outside the vocabulary of " + vocab);
        }
    }
}
