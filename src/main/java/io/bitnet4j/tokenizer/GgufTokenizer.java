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
    public static Tokenizer load(GgufFile g, PreTokenizer mode) throws GgufException {
        String model = g.getString("tokenizer.ggml.model");
        if (!model.equals("gpt2"))
            throw new GgufException("tokenizer model '" + model + "' (tokenizer.ggml.model) is not supported: only byte-level BPE ('gpt2')");
        String pre = g.has("tokenizer.ggml.pre") ? g.getString("tokenizer.ggml.pre") : null;
        try {
            var data = TokenizerData.fromGguf(g.getStringArray("tokenizer.ggml.tokens"),
                    g.has("tokenizer.ggml.merges") ? g.getStringArray("tokenizer.ggml.merges") : List.of(),
                    g.has("tokenizer.ggml.token_type") ? g.getIntArray("tokenizer.ggml.token_type") : null,
                    g.has("tokenizer.ggml.bos_token_id") ? g.getInt("tokenizer.ggml.bos_token_id") : -1,
                    g.has("tokenizer.ggml.eos_token_id") ? g.getInt("tokenizer.ggml.eos_token_id") : -1,
                    !g.has("tokenizer.ggml.add_bos_token") || g.getBoolean("tokenizer.ggml.add_bos_token"),
                    pre, g.has("tokenizer.chat_template") ? g.getString("tokenizer.chat_template") : null);
            return mode != null ? Tokenizer.create(data, mode) : Tokenizer.fromGguf(data, PreTokenizer.LLAMA3);
        } catch (IllegalArgumentException e) {
            throw new GgufException("invalid tokenizer in " + g.path().getFileName() + ": " + e.getMessage());
        }
    }
}
