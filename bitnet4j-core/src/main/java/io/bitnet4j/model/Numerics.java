package io.bitnet4j.model;

/** The summation order of the float work. */
public enum Numerics {
    /** The fastest order of each backend: logits agree with bitnet.cpp's to float rounding. */
    FAST,
    /**
     * ggml's AVX2 order for the F16 output projection and the softmax: decode logits bit-identical to bitnet.cpp's
     * on the verified shapes (docs/parity.md); slower output projection.
     */
    EXACT;

    public String id() {
        return Names.id(this);
    }

    public static Numerics parse(String id) {
        return Names.parse(Numerics.class, id, "numerics");
    }
}
