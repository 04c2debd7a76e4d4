package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * VectorLut against the scalar reference, bit for bit, at every width. 512 bits runs in the Vector API's Java
 * fallback on AVX2 machines (hundreds of times slower), so it gets small shapes only.
 */
class VectorLutTest {

    private static final JavaKernels REF = new JavaKernels();
    private static final int[] MS = {1, 3, 31, 64};
    private static final int[] KS = {128, 256, 384, 2560};
    private static final int[] TS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 17};

    private static boolean emulated(int bits) {
        return bits > jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void matchesReferenceOverManyShapes(int bits) {
        var rnd = new Random(bits);
        int cases = 0;
        for (int m : MS)
            for (int k : KS)
                for (int t : TS) {
                    if (emulated(bits) && (long) m * k * t > 40_000) continue;
                    // big shapes: fewer token counts, to keep the run short on 2 shared cores
                    if ((long) m * k * t > 2_000_000 && t != 17) continue;
                    check(bits, rnd, m, k, t, 0, m, m, Fill.RANDOM, Fill.RANDOM);
                    cases++;
                }
        assertTrue(cases >= 30, "ran " + cases + " shapes");
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void partialRowRangesAndWideLdy(int bits) {
        var rnd = new Random(11);
        int m = bits == 512 ? 70 : 45; // more than one tile, last one partial
        for (int k : new int[] {128, 384})
            for (int t : new int[] {1, 3, 4, 6})
                for (int[] range : new int[][] {{0, m}, {0, 1}, {5, 6}, {3, 17}, {16, 32}, {15, 33}, {m - 2, m}, {7, 7}})
                    check(bits, rnd, m, k, t, range[0], range[1], m + 7, Fill.RANDOM, Fill.RANDOM);
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void extremes(int bits) {
        var rnd = new Random(3);
        int k = bits == 512 ? 256 : 2560;
        for (Fill wf : new Fill[] {Fill.ALL_PLUS, Fill.ALL_MINUS, Fill.RANDOM})
            for (Fill qf : new Fill[] {Fill.MIN, Fill.MAX, Fill.ALTERNATE})
                check(bits, rnd, 33, k, 2, 0, 33, 33, wf, qf);
    }

    @Test
    void modelShapeAt256AndDefault() {
        var rnd = new Random(5);
        check(256, rnd, 2560, 2560, 1, 0, 2560, 2560, Fill.RANDOM, Fill.RANDOM);
        try (Arena arena = Arena.ofConfined()) {
            var w = ternary(arena, rnd, 4, 128, Fill.RANDOM);
            assertEquals(VectorKernels.defaultBits(), VectorLut.pack(w, arena).bits());
        }
    }

    @Test
    void rejectsCodeThreeAndBadArguments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(TernaryMatrix.bytes(2, 128));
            data.fill((byte) 0xff);
            var bad = new TernaryMatrix(data, 2, 128, 1f);
            assertThrows(IllegalArgumentException.class, () -> VectorLut.pack(bad, 256, arena));
            var w = VectorLut.pack(ternary(arena, new Random(1), 2, 128, Fill.RANDOM), 128, arena);
            assertThrows(IllegalArgumentException.class, () -> VectorLut.pack(ternary(arena, new Random(1), 2, 128, Fill.RANDOM), 100, arena));
            MemorySegment q = arena.allocate(128), s = arena.allocate(4), sum = arena.allocate(4), y = arena.allocate(8);
            assertThrows(IllegalArgumentException.class, () -> VectorLut.gemm(w, q, s, sum, 1, y, 2, 1, 3));
            assertThrows(IllegalArgumentException.class, () -> VectorLut.gemm(w, q, s, sum, 1, y, 1, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> VectorLut.gemm(w, q, s, sum, 2, y, 2, 0, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> VectorLut.gemm(w, q, s, sum, 1, arena.allocate(4), 2, 0, 2));
            VectorLut.gemm(w, q, s, sum, 0, y, 2, 0, 2); // nothing to do: fine
        }
    }

    enum Fill { RANDOM, ALL_PLUS, ALL_MINUS, MIN, MAX, ALTERNATE }

    private static void check(int bits, Random rnd, int m, int k, int t, int rowBegin, int rowEnd, int ldy, Fill wf, Fill qf) {
        try (Arena arena = Arena.ofConfined()) {
            var w = ternary(arena, rnd, m, k, wf);
            MemorySegment q = arena.allocate((long) t * k);
            for (long i = 0; i < q.byteSize(); i++)
                q.set(JAVA_BYTE, i, (byte) switch (qf) {
                    case MIN -> -128;
                    case MAX -> 127;
                    case ALTERNATE -> (i & 1) == 0 ? -128 : 127;
                    default -> rnd.nextInt(256);
                });
            MemorySegment scale = arena.allocate(4L * t), sum = arena.allocate(4L * t);
            for (int i = 0; i < t; i++) {
                scale.setAtIndex(JAVA_FLOAT, i, 1f + 100f * rnd.nextFloat());
                sum.setAtIndex(JAVA_INT, i, rnd.nextInt(-100_000, 100_000)); // need not be sum(q): passed through
            }
            MemorySegment ye = arena.allocate(4L * t * ldy), ya = arena.allocate(4L * t * ldy);
            ye.fill((byte) 0x7f); // a NaN pattern: rows outside the range must stay it in both
            ya.fill((byte) 0x7f);
            REF.i2sGemm(w, q, scale, sum, t, ye, ldy, rowBegin, rowEnd);
            VectorLut.gemm(VectorLut.pack(w, bits, arena), q, scale, sum, t, ya, ldy, rowBegin, rowEnd);
            float[] e = ye.toArray(JAVA_FLOAT), a = ya.toArray(JAVA_FLOAT);
            for (int i = 0; i < e.length; i++)
                if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i]))
                    throw new AssertionError(bits + "-bit " + m + "x" + k + " t=" + t + " rows [" + rowBegin + ","
                            + rowEnd + ") ldy=" + ldy + " " + wf + "/" + qf + ": y[" + i + "] expected " + e[i] + " got " + a[i]);
        }
    }

    private static TernaryMatrix ternary(Arena arena, Random rnd, int m, int k, Fill fill) {
        MemorySegment w = arena.allocate(TernaryMatrix.bytes(m, k));
        for (long i = 0; i < w.byteSize(); i++) {
            int b = 0;
            for (int j = 0; j < 4; j++)
                b = (b << 2) | switch (fill) {
                    case ALL_PLUS -> 2;
                    case ALL_MINUS -> 0;
                    default -> rnd.nextInt(3);
                };
            w.set(JAVA_BYTE, i, (byte) b);
        }
        return new TernaryMatrix(w, m, k, 0.5f + rnd.nextFloat());
    }
}
