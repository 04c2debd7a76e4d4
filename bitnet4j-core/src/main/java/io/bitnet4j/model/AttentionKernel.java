package io.bitnet4j.model;

/** What computes attention with {@link Numerics#FAST} numerics (exact numerics always sum in ggml's order, in Java). */
public enum AttentionKernel {
    /**
     * OpenBLAS {@code sgemm} for the calls where it measured faster (prompt batches of enough tokens over enough
     * positions: the crossover in docs/performance.md) when {@code org.bytedeco:openblas} is on the class path and
     * loads, else Java; with exact numerics, Java. {@link Model#describe()} says which, with the crossover, or why
     * OpenBLAS is off.
     */
    AUTO,
    /** The Java (Vector API) loops, a K/V tile at a time, for every call. */
    JAVA,
    /**
     * Every call through two OpenBLAS {@code sgemm} (S = Q·Kᵀ, O = P·V), decode steps too: to measure it against
     * {@link #JAVA}. Refused when OpenBLAS cannot load, and with exact numerics.
     */
    OPENBLAS;

    /** The lower-case name the CLI uses ("auto", "java", "openblas"). */
    public String id() {
        return Names.id(this);
    }

    /** Parses {@link #id()}; the message lists the choices. */
    public static AttentionKernel parse(String id) {
        return Names.parse(AttentionKernel.class, id, "attention kernel");
    }
}
