package io.bitnet4j.gguf;

/**
 * The tensor data types this runtime can read, with the ids of the BitNet llama.cpp fork (spec §2.1).
 * Types whose byte size we do not compute exactly (Q6_K, TL1, TL2, I8_S) are deliberately absent: a file
 * using them is rejected instead of being read with a wrong size.
 */
public enum GgufType {
    F32(0),
    F16(1),
    /** Ternary, 2 bits per weight in 128-element/32-byte blocks, then a 32-byte tail whose first float is the scale. */
    I2_S(36);

    /** Bytes after the packed I2_S codes; the first 4 hold the float32 per-tensor scale. */
    public static final int I2_S_TAIL_BYTES = 32;

    private final int id;

    GgufType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /**
     * Exact byte size the fork's loader reads for a tensor of {@code elements} elements (ggml_nbytes).
     *
     * @throws IllegalArgumentException if the count is not positive, I2_S elements are not a multiple of 4,
     *                                  or the size overflows a long
     */
    public long byteSize(long elements) {
        if (elements <= 0) throw new IllegalArgumentException(this + " tensor needs a positive element count, got " + elements);
        try {
            return switch (this) {
                case F32 -> Math.multiplyExact(elements, 4L);
                case F16 -> Math.multiplyExact(elements, 2L);
                case I2_S -> {
                    if (elements % 4 != 0)
                        throw new IllegalArgumentException("I2_S element count " + elements + " is not a multiple of 4");
                    yield elements / 4 + I2_S_TAIL_BYTES;
                }
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(this + " size of " + elements + " elements overflows a long");
        }
    }

    /** The type with this id; {@code tensorName} only goes into the error message. */
    public static GgufType of(int id, String tensorName) throws GgufException {
        for (GgufType t : values()) if (t.id == id) return t;
        String name = id >= 0 && id < GGML_NAMES.length && GGML_NAMES[id] != null ? GGML_NAMES[id] + " (type id " + id + ")"
                : "id " + Integer.toUnsignedString(id);
        throw new GgufException("tensor " + tensorName + " has unsupported type " + name
                + ": bitnet4j reads F32, F16 and I2_S tensors only (the embedding and output projection as F16)");
    }

    /** ggml's names of the type ids (the fork's ggml.h), so that a refused tensor type is named. */
    private static final String[] GGML_NAMES = {"F32", "F16", "Q4_0", "Q4_1", null, null, "Q5_0", "Q5_1", "Q8_0", "Q8_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",
            "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8",
            "TQ1_0", "TQ2_0", "I2_S", "I8_S", "TL1", "TL2"};
}
