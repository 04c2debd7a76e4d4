package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Helpers shared by the kernel tests: float segments and bit-for-bit comparison of results. */
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
}
