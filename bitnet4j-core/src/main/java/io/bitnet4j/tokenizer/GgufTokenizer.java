package io.bitnet4j.tokenizer;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import java.util.List;

/** Builds the tokenizer stored in a GGUF file's tokenizer.ggml.* keys. */
public final class GgufTokenizer {
    private GgufTokenizer() {}

    /**
     * @param mode the pre-tokenizer, or null to follow tokenizer.ggml.pre; when that key is absent (as in the
     *             official 2B4T file) LLaMA-3's split is used, the model's true tokenizer. bitnet.cpp uses
     *             its default pre-tokenizer there: pass {@link PreTokenizer#BITNET_CPP_COMPAT} for parity.
     */
    /**
     * Checks the tokenizer keys against a model's vocabulary without building the tokenizer, so a model whose
     * tokenizer cannot work is refused at load rather than when the first text is encoded or a sampled id has
     * no token. A file without tokenizer.ggml.tokens passes (it can still run on token ids).
     */
    public static void validate(GgufFile g, int vocabSize) throws GgufException {
        if (!g.has("tokenizer.ggml.tokens")) return;
        String model = g.has("tokenizer.ggml.model") ? g.getString("tokenizer.ggml.model") : TokenizerData.BPE;
        checkModel(model);
        int n = g.getStringArray("tokenizer.ggml.tokens").size();
        if (model.equals(TokenizerData.SENTENCEPIECE) && !g.has("tokenizer.ggml.scores"))
            throw new GgufException("a SentencePiece vocabulary (tokenizer.ggml.model 'llama') needs tokenizer.ggml.scores");
        if (n != vocabSize)
            throw new GgufException("tokenizer.ggml.tokens has " + n + " entries but the model's vocabulary has " + vocabSize + " tokens");
        if (g.has("tokenizer.ggml.token_type") && g.getIntArray("tokenizer.ggml.token_type").length != n)
            throw new GgufException("tokenizer.ggml.token_type has " + g.getIntArray("tokenizer.ggml.token_type").length
                    + " entries for " + n + " tokens");
        if (g.has("tokenizer.ggml.scores") && g.getFloatArray("tokenizer.ggml.scores").length != n)
            throw new GgufException("tokenizer.ggml.scores has " + g.getFloatArray("tokenizer.ggml.scores").length
                    + " entries for " + n + " tokens");
        for (String key : new String[] {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id"}) {
            if (!g.has(key)) continue;
            long id = g.getLong(key);
            if (id < 0 || id >= n) throw new GgufException(key + " " + id + " is outside the vocabulary [0, " + n + ")");
        }
    }

    /**
     * The tokenizer of a model whose vocabulary has {@code vocabSize} tokens: {@link #validate} first, so a
     * tokenizer that does not fit the model is refused by name.
     */
    public static Tokenizer load(GgufFile g, int vocabSize, PreTokenizer mode) throws GgufException {
        validate(g, vocabSize);
        if (!g.has("tokenizer.ggml.tokens")) throw new GgufException(g.path().getFileName() + " holds no tokenizer (tokenizer.ggml.tokens)");
        return load(g, mode);
    }

    /**
     * @param mode the BPE pre-tokenizer, or null to follow tokenizer.ggml.pre (see {@link #load(GgufFile, int,
     *             PreTokenizer)}); a SentencePiece vocabulary has none and ignores it
     */
    public static Tokenizer load(GgufFile g, PreTokenizer mode) throws GgufException {
        String model = g.getString("tokenizer.ggml.model");
        checkModel(model);
        boolean sentencePiece = model.equals(TokenizerData.SENTENCEPIECE);
        String pre = g.has("tokenizer.ggml.pre") ? g.getString("tokenizer.ggml.pre") : null;
        try {
            List<String> tokens = g.getStringArray("tokenizer.ggml.tokens");
            // llama.cpp's defaults when the ids are absent: 1 and 2 for SentencePiece, none for BPE
            int bos = g.has("tokenizer.ggml.bos_token_id") ? g.getInt("tokenizer.ggml.bos_token_id") : sentencePiece && tokens.size() > 2 ? 1 : -1;
            int eos = g.has("tokenizer.ggml.eos_token_id") ? g.getInt("tokenizer.ggml.eos_token_id") : sentencePiece && tokens.size() > 2 ? 2 : -1;
            var data = new TokenizerData(tokens,
                    g.has("tokenizer.ggml.merges") ? g.getStringArray("tokenizer.ggml.merges") : List.of(),
                    g.has("tokenizer.ggml.token_type") ? g.getIntArray("tokenizer.ggml.token_type") : null,
                    bos, eos, TokenizerData.findToken(tokens, "<|eot_id|>"),
                    g.has("tokenizer.ggml.add_bos_token") ? g.getBoolean("tokenizer.ggml.add_bos_token") : addsBosByDefault(sentencePiece, pre),
                    pre, g.has("tokenizer.chat_template") ? g.getString("tokenizer.chat_template") : null, model,
                    g.has("tokenizer.ggml.scores") ? g.getFloatArray("tokenizer.ggml.scores") : null,
                    !g.has("tokenizer.ggml.add_space_prefix") || g.getBoolean("tokenizer.ggml.add_space_prefix"));
            return mode != null ? Tokenizer.create(data, mode) : Tokenizer.fromGguf(data, PreTokenizer.LLAMA3);
        } catch (IllegalArgumentException e) {
            throw new GgufException("invalid tokenizer in " + g.path().getFileName() + ": " + e.getMessage());
        }
    }

    /**
     * llama.cpp's default when tokenizer.ggml.add_bos_token is absent: SentencePiece and the LLaMA-3 pre-tokenizer
     * add BOS, the other BPE pre-tokenizers (falcon3, the default) do not.
     */
    private static boolean addsBosByDefault(boolean sentencePiece, String pre) {
        return sentencePiece || PreTokenizer.forGguf(pre) == PreTokenizer.LLAMA3;
    }

    private static void checkModel(String model) throws GgufException {
        if (!model.equals(TokenizerData.BPE) && !model.equals(TokenizerData.SENTENCEPIECE))
            throw new GgufException("tokenizer model '" + model + "' (tokenizer.ggml.model) is not supported: only byte-level BPE ('gpt2') "
                    + "and SentencePiece ('llama')");
    }
}
