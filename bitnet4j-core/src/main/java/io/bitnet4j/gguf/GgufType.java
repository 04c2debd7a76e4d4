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
        throw new GgufException("tensor " + tensorName + " has unsupported type id " + Integer.toUnsignedString(id));
    }
}
