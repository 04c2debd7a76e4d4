package io.bitnet4j.model;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * cosf, sinf and expf of this machine's C library, called through the foreign-function API, for
 * {@link Numerics#EXACT}: ggml calls them for the RoPE angles and the odd tails of its vector loops, and glibc's
 * are not correctly rounded (cosf/sinf differ from the correctly rounded value for ~3 % of RoPE angles; one such
 * ulp in Q shows up in the logits). Java's Math is used where no C library can be found.
 */
final class CMath {
    private CMath() {}

    private static final MethodHandle COSF = find("cosf"), SINF = find("sinf"), EXPF = find("expf");

    private static MethodHandle find(String name) {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name)
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) { // no native access or no C library: fall back to Math
            return null;
        }
    }

    /** Whether the C library's functions are in use (else the correctly rounded Math ones). */
    static boolean available() {
        return COSF != null && SINF != null && EXPF != null;
    }

    static float cosf(float x) {
        return COSF == null ? (float) Math.cos(x) : call(COSF, x);
    }

    static float sinf(float x) {
        return SINF == null ? (float) Math.sin(x) : call(SINF, x);
    }

    static float expf(float x) {
        return EXPF == null ? (float) Math.exp(x) : call(EXPF, x);
    }

    private static float call(MethodHandle f, float x) {
        try {
            return (float) f.invokeExact(x);
        } catch (Throwable t) {
            throw new IllegalStateException("C library math call failed", t);
        }
    }
}
