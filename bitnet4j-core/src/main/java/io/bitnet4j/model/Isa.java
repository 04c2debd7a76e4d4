package io.bitnet4j.model;

/**
 * The instruction set the native kernels run on. The native library defines the list and says which ones this
 * CPU supports; these constants name them ({@code KernelsTest} checks that both lists agree).
 */
public enum Isa {
    /** The best ISA this CPU supports (or what the system property {@code bitnet4j.isa} names). */
    BEST,
    SCALAR, AVX2, AVX512_VNNI, NEON, NEON_DOTPROD;

    /** The native library's name: "scalar", "avx2", "avx512-vnni", "neon", "neon-dotprod" ("best" for BEST). */
    public String id() {
        return Names.id(this);
    }

    public static Isa parse(String id) {
        return Names.parse(Isa.class, id, "ISA");
    }
}
