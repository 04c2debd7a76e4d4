package io.bitnet4j.model;

/** The ternary matrix kernel, and with it the in-memory layout of the ternary weights. */
public enum TernaryKernel {
    /** The backend's default: I2_S (on the CPUs measured the lookup tables were no faster, docs/kernels.md). */
    AUTO,
    /** Multiply-add on the file's I2_S layout (native and Java backends). */
    I2S,
    /** Lookup tables over 2-weight groups, repacked at load (native; SIMD on ARM NEON, scalar elsewhere). */
    TL1,
    /** Lookup tables over 3-weight groups, repacked at load (native; SIMD on x86 AVX2, scalar elsewhere). */
    TL2,
    /** Lookup tables on the Vector API backend, repacked at load. */
    VECTOR_LUT;

    public String id() {
        return Names.id(this);
    }

    public static TernaryKernel parse(String id) {
        return Names.parse(TernaryKernel.class, id, "ternary kernel");
    }
}
