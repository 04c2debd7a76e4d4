package io.bitnet4j.model;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import java.util.Set;

/**
 * Hyperparameters of a BitNet b1.58 model, read from GGUF metadata ({arch}.* keys).
 *
 * @param arch        "bitnet-b1.58" (current official file) or "bitnet-25" (first published file)
 * @param vocabSize   tokens in the vocabulary (rows of token_embd)
 * @param contextLength context the model was trained for
 * @param dim         embedding width (2560 for 2B4T)
 * @param layers      transformer blocks
 * @param heads       query heads
 * @param kvHeads     key/value heads (GQA: query head h uses kv head h / (heads / kvHeads))
 * @param headDim     dim / heads; RoPE rotates all of it (NEOX pairs i, i + headDim/2)
 * @param ffnDim      feed-forward width
 * @param ropeBase    RoPE frequency base
 * @param normEps     RMSNorm epsilon
 */
public record ModelConfig(String arch, int vocabSize, int contextLength, int dim, int layers, int heads, int kvHeads,
        int headDim, int ffnDim, float ropeBase, float normEps) {

    public static final Set<String> ARCHITECTURES = Set.of("bitnet-b1.58", "bitnet-25");

    public ModelConfig {
        require(vocabSize > 0, "vocab_size must be positive");
        require(contextLength > 0, "context_length must be positive");
        require(dim > 0 && dim % 128 == 0, "embedding_length must be a positive multiple of 128, got " + dim);
        require(ffnDim > 0 && ffnDim % 128 == 0, "feed_forward_length must be a positive multiple of 128, got " + ffnDim);
        require(layers > 0 && layers <= 1024, "block_count out of range: " + layers);
        require(heads > 0 && dim % heads == 0, "head_count " + heads + " does not divide embedding_length " + dim);
        require(kvHeads > 0 && heads % kvHeads == 0, "head_count_kv " + kvHeads + " does not divide head_count " + heads);
        require(headDim == dim / heads && headDim % 2 == 0, "rope.dimension_count must equal embedding_length / head_count (" + dim / heads + "), got " + headDim);
        require(Float.isFinite(ropeBase) && ropeBase > 0, "rope.freq_base must be positive, got " + ropeBase);
        require(Float.isFinite(normEps) && normEps > 0, "layer_norm_rms_epsilon must be positive, got " + normEps);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model hyperparameters: " + message);
    }

    /** Width of the K and V projections. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads per KV head. */
    public int groupSize() {
        return heads / kvHeads;
    }

    public static ModelConfig fromGguf(GgufFile gguf) throws GgufException {
        String arch = gguf.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch))
            throw new GgufException("unsupported architecture '" + arch + "' (general.architecture): bitnet4j runs "
                    + String.join(" and ", ARCHITECTURES.stream().sorted().toList()));
        String p = arch + ".";
        int dim = gguf.getInt(p + "embedding_length");
        int heads = gguf.getInt(p + "attention.head_count");
        int kvHeads = gguf.has(p + "attention.head_count_kv") ? gguf.getInt(p + "attention.head_count_kv") : heads;
        int headDim = gguf.has(p + "rope.dimension_count") ? gguf.getInt(p + "rope.dimension_count") : dim / Math.max(1, heads);
        var embd = gguf.findTensor("token_embd.weight");
        long embdRows = embd.isPresent() && embd.get().rank() == 2 ? embd.get().dim(1) : -1;
        if (!gguf.has(p + "vocab_size") && embdRows < 0)
            throw new GgufException("missing metadata key '" + p + "vocab_size' and no 2-D tensor 'token_embd.weight' to infer it from");
        if (!gguf.has(p + "vocab_size") && embdRows > Integer.MAX_VALUE)
            throw new GgufException("tensor 'token_embd.weight' has " + embdRows + " rows, too many for a vocabulary");
        int vocab = gguf.has(p + "vocab_size") ? gguf.getInt(p + "vocab_size") : (int) embdRows;
        // Named here, with the key, rather than later as a bare shape mismatch of token_embd.
        if (embdRows >= 0 && embdRows != vocab)
            throw new GgufException("metadata key '" + p + "vocab_size' is " + vocab + " but tensor 'token_embd.weight' has " + embdRows + " rows");
        float ropeBase = gguf.has(p + "rope.freq_base") ? gguf.getFloat(p + "rope.freq_base") : 10000f;
        try {
            return new ModelConfig(arch, vocab, gguf.getInt(p + "context_length"), dim, gguf.getInt(p + "block_count"),
                    heads, kvHeads, headDim, gguf.getInt(p + "feed_forward_length"), ropeBase,
                    gguf.getFloat(p + "attention.layer_norm_rms_epsilon"));
        } catch (IllegalArgumentException e) {
            throw new GgufException(e.getMessage());
        }
    }
}
