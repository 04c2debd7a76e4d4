package io.bitnet4j.model;

import java.util.List;

/**
 * What one GGUF {@code general.architecture} does differently in the graph, as data: the one {@link Forward}
 * reads these traits instead of branching on names. The values are those of bitnet.cpp's llama.cpp fork
 * ({@code build_bitnet_158}, {@code build_bitnet}, {@code build_llama} and their loaders).
 *
 * @param name             the GGUF architecture name, also the prefix of the hyperparameter keys
 * @param family           the models that ship with it, for people
 * @param subNorms         RMSNorm before the attention output projection and before the FFN down projection
 *                         ({@code attn_sub_norm}, {@code ffn_sub_norm})
 * @param activation       of the gate, multiplied by up
 * @param rope             which elements RoPE rotates together
 * @param separateOutput   an F16 {@code output.weight} is the output projection when present (else the tied
 *                         {@code token_embd}); without it a file carrying one is refused
 * @param projectionScales optional F32 {@code blk.N.<projection>.scale} tensors multiply that projection's output
 */
public record Architecture(String name, String family, boolean subNorms, Activation activation, RopeMode rope,
        boolean separateOutput, boolean projectionScales) {

    /** The FFN's activation of the gate projection. */
    public enum Activation {
        /** relu(g)^2 (2B4T). */
        RELU_SQUARED,
        /** g / (1 + exp(-g)). */
        SILU
    }

    /** ggml's RoPE modes. */
    public enum RopeMode {
        /** Pairs (i, i + headDim/2): GPT-NeoX's and HF's rotate_half. */
        NEOX,
        /** Pairs (2i, 2i+1): the original LLaMA's, for checkpoints whose Q and K rows the converter permuted. */
        NORM
    }

    public static final Architecture BITNET_B158 = new Architecture("bitnet-b1.58", "BitNet b1.58 2B4T",
            true, Activation.RELU_SQUARED, RopeMode.NEOX, false, false);
    public static final Architecture BITNET_25 = new Architecture("bitnet-25", "BitNet b1.58 2B4T (first published file)",
            true, Activation.RELU_SQUARED, RopeMode.NEOX, false, false);
    public static final Architecture BITNET = new Architecture("bitnet", "bitnet_b1_58-large / -3B (1bitLLM)",
            true, Activation.SILU, RopeMode.NEOX, false, true);
    public static final Architecture LLAMA = new Architecture("llama",
            "LLaMA graph with I2_S projections (Falcon3-1.58bit, Llama3-8B-1.58)",
            false, Activation.SILU, RopeMode.NORM, true, false);

    /** Every architecture bitnet4j runs. */
    public static final List<Architecture> ALL = List.of(BITNET_B158, BITNET_25, BITNET, LLAMA);

    /** The architecture of that GGUF name, or null. */
    public static Architecture named(String name) {
        for (Architecture a : ALL) if (a.name.equals(name)) return a;
        return null;
    }

    /** The GGUF name (what reports print). */
    @Override
    public String toString() {
        return name;
    }
}
