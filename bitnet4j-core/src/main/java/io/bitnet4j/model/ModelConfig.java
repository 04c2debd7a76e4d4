package io.bitnet4j.model;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;

/**
 * Hyperparameters of a BitNet model, read from GGUF metadata ({arch}.* keys).
 *
 * @param arch          the graph's traits, chosen by general.architecture ({@link Architecture#ALL})
 * @param vocabSize     tokens in the vocabulary (rows of token_embd)
 * @param contextLength context the model was trained for
 * @param dim           embedding width (2560 for 2B4T)
 * @param layers        transformer blocks
 * @param heads         query heads
 * @param kvHeads       key/value heads (GQA: query head h uses kv head h / (heads / kvHeads))
 * @param headDim       dim / heads; RoPE rotates all of it
 * @param ffnDim        feed-forward width
 * @param ropeBase      RoPE frequency base
 * @param ropeFreqScale RoPE angle multiplier: 1 / the linear scaling factor (1 without scaling)
 * @param normEps       RMSNorm epsilon
 */
public record ModelConfig(Architecture arch, int vocabSize, int contextLength, int dim, int layers, int heads, int kvHeads,
        int headDim, int ffnDim, float ropeBase, float ropeFreqScale, float normEps) {

    public ModelConfig {
        java.util.Objects.requireNonNull(arch, "arch");
        require(vocabSize > 0, "vocab_size must be positive");
        require(contextLength > 0, "context_length must be positive");
        require(dim > 0, "embedding_length must be positive, got " + dim);
        require(ffnDim > 0, "feed_forward_length must be positive, got " + ffnDim);
        requireWholeBlocks("embedding_length", dim);
        requireWholeBlocks("feed_forward_length", ffnDim);
        require(layers > 0 && layers <= 1024, "block_count out of range: " + layers);
        require(heads > 0 && dim % heads == 0, "head_count " + heads + " does not divide embedding_length " + dim);
        require(kvHeads > 0 && heads % kvHeads == 0, "head_count_kv " + kvHeads + " does not divide head_count " + heads);
        require(headDim == dim / heads && headDim % 2 == 0, "rope.dimension_count must equal embedding_length / head_count (" + dim / heads + "), got " + headDim);
        require(Float.isFinite(ropeBase) && ropeBase > 0, "rope.freq_base must be positive, got " + ropeBase);
        require(Float.isFinite(ropeFreqScale) && ropeFreqScale > 0, "rope.scaling.factor must be positive, got " + 1 / ropeFreqScale);
        require(Float.isFinite(normEps) && normEps > 0, "layer_norm_rms_epsilon must be positive, got " + normEps);
    }

    /**
     * I2_S packs a tensor in blocks of 128 weights; the kernels need every row (input width) to be whole blocks.
     * bitnet.cpp's own I2_S kernel silently drops the part of a row past the last whole block, so such a file
     * would not compute its model there either.
     */
    private static void requireWholeBlocks(String key, int width) {
        require(width % 128 == 0, key + " " + width + " is not a multiple of 128: I2_S rows of that width do not fill whole "
                + "128-weight blocks, which the ternary kernels need (bitnet.cpp's I2_S kernel drops the remainder of each row)");
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
        String name = gguf.getString("general.architecture");
        Architecture arch = Architecture.named(name);
        if (arch == null)
            throw new GgufException("unsupported architecture '" + name + "' (general.architecture): bitnet4j runs "
                    + String.join(", ", Architecture.ALL.stream().map(Architecture::name).toList()));
        String p = name + ".";
        int dim = gguf.getInt(p + "embedding_length");
        int heads = gguf.getInt(p + "attention.head_count");
        int kvHeads = gguf.has(p + "attention.head_count_kv") ? gguf.getInt(p + "attention.head_count_kv") : heads;
        int headDim = dim / Math.max(1, heads);
        for (String key : new String[] {"attention.key_length", "attention.value_length"})
            if (gguf.has(p + key) && gguf.getInt(p + key) != headDim)
                throw new GgufException("metadata key '" + p + key + "' is " + gguf.getInt(p + key)
                        + ": only heads of embedding_length / head_count = " + headDim + " values are supported");
        int ropeDims = gguf.has(p + "rope.dimension_count") ? gguf.getInt(p + "rope.dimension_count") : headDim;
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
                    heads, kvHeads, ropeDims, gguf.getInt(p + "feed_forward_length"), ropeBase, ropeFreqScale(gguf, p),
                    gguf.getFloat(p + "attention.layer_norm_rms_epsilon"));
        } catch (IllegalArgumentException e) {
            throw new GgufException(e.getMessage());
        }
    }

    /**
     * RoPE scaling as llama.cpp reads it: type linear (the default) or none, angles multiplied by 1 / factor
     * (rope.scaling.factor, or the older rope.scale_linear; absent or 0 means 1). YaRN and the other types change
     * the angles and magnitudes in ways bitnet4j does not implement, so they are refused.
     */
    private static float ropeFreqScale(GgufFile gguf, String p) throws GgufException {
        String type = gguf.has(p + "rope.scaling.type") ? gguf.getString(p + "rope.scaling.type") : "linear";
        if (!type.equals("linear") && !type.equals("none"))
            throw new GgufException("RoPE scaling type '" + type + "' (" + p + "rope.scaling.type) is not supported: only linear");
        if (gguf.has(p + "rope.scaling.attn_factor") && gguf.getFloat(p + "rope.scaling.attn_factor") != 1f)
            throw new GgufException("metadata key '" + p + "rope.scaling.attn_factor' is " + gguf.getFloat(p + "rope.scaling.attn_factor")
                    + ": only 1 is supported");
        String key = gguf.has(p + "rope.scaling.factor") ? p + "rope.scaling.factor" : p + "rope.scale_linear";
        float factor = gguf.has(key) ? gguf.getFloat(key) : 0f;
        return factor == 0f ? 1f : 1f / factor;
    }
}
