package io.bitnet4j.model;

/** How a session's KV cache stores K and V. */
public enum CacheType {
    /** 2 bytes per value, as bitnet.cpp keeps it: the rounding is part of the reference numerics. */
    F16,
    /**
     * 8-bit codes with an F16 scale per 32 values, as llama.cpp's q8_0 cache: 1.0625 bytes per value (53 % of
     * F16). Changes the logits slightly (docs/memory.md has the measured perplexity and top-1 agreement).
     */
    Q8;

    public String id() {
        return Names.id(this);
    }

    public static CacheType parse(String id) {
        return Names.parse(CacheType.class, id, "cache type");
    }
}
