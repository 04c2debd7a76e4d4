package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Helpers shared by the kernel tests: float segments, F16 test values and bit-for-bit comparison of results. */
final class KernelTestData {
    private KernelTestData() {}

    static MemorySegment floats(Arena arena, float[] v) {
        MemorySegment s = arena.allocate(4L * v.length);
        for (int i = 0; i < v.length; i++) s.setAtIndex(JAVA_FLOAT, i, v[i]);
        return s;
    }

    /** Fails at the first index whose bits differ (so -0 vs 0 and different NaNs count as differences). */
    static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++)
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                fail(what + ": index " + i + " expected " + expected[i] + " got " + actual[i]);
    }

    /** F16 bits by row kind: typical, all zero (+-0), subnormal only, any finite up to 65504, all +-1. */
    static short half(Random rnd, int kind) {
        return (short) switch (kind) {
            case 0 -> rnd.nextInt(16) == 0 ? 0 : (rnd.nextInt(2) << 15) | ((9 + rnd.nextInt(8)) << 10) | rnd.nextInt(1024);
            case 1 -> rnd.nextInt(2) << 15;
            case 2 -> (rnd.nextInt(2) << 15) | rnd.nextInt(1024);
            case 3 -> (rnd.nextInt(2) << 15) | rnd.nextInt(0x7c00);
            default -> 0x3c00 | (rnd.nextInt(2) << 15);
        };
    }
}
