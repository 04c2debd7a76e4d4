package io.bitnet4j.model;

/** The summation order of the float work. */
public enum Numerics {
    /** The fastest order of each backend: logits agree with bitnet.cpp's to float rounding. */
    FAST,
    /**
     * bitnet.cpp's float work as its AVX2 build does it: ggml's summation order for the F16 dot products (attention,
     * output projection) and the softmax, ggml's vector expf, and the C library's cosf/sinf for RoPE. Decode
     * logits bit-identical to bitnet.cpp's on every verified file and shape (docs/parity.md); slower attention
     * and output projection.
     */
    EXACT;

    public String id() {
        return Names.id(this);
    }

    public static Numerics parse(String id) {
        return Names.parse(Numerics.class, id, "numerics");
    }
}
