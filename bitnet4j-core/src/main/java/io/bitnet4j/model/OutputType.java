package io.bitnet4j.model;

/** How the tied output projection (the largest matrix a decoded token reads) is stored in memory. */
public enum OutputType {
    /** As stored in the file. */
    F16,
    /** An int8 copy with a scale per row, made at load: half the bytes per token; the best logits are rescored in F16. */
    I8,
    /** A 4-bit copy with a scale per row, made at load: a quarter of the bytes; the best logits are rescored in F16. */
    Q4;

    public String id() {
        return Names.id(this);
    }

    public static OutputType parse(String id) {
        return Names.parse(OutputType.class, id, "output type");
    }
}
