package io.bitnet4j.kernels;

import static io.bitnet4j.kernels.KernelTestData.assertBits;
import static io.bitnet4j.kernels.KernelTestData.floats;
import static io.bitnet4j.kernels.KernelTestData.half;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Q4 (row-quantized 4-bit) output projection on the native backend: q4Gemm at every ISA this CPU runs must
 * equal JavaKernels (the definition) bit for bit, for every nibble value 0..15 including those the packer never
 * writes; the native packer must equal the pure-Java one; bad arguments must be rejected in Java. An ISA the CPU
 * lacks is reported as skipped, by name. (VectorKernels has its own q4Gemm tests.)
 */
class Q4KernelsTest {

    private static final JavaKernels REF = new JavaKernels();

    static List<String> isas() {
        return NativeBackend.allIsas();
    }

    private static NativeBackend backend(String isa) {
        assumeTrue(NativeBackend.supports(isa), "ISA " + isa + " is not supported by this CPU or this build: skipped");
        return NativeBackend.select(isa);
    }

    // ------------------------------------------------------------------------------------------------------
    // GEMM

    @ParameterizedTest(name = "{0}")
    @MethodSource("isas")
    void matchesTheReferenceOverManyShapes(String isa) {
        NativeBackend b = backend(isa);
        var rnd = new Random(1);
        int cases = 0;
        for (int m : new int[] {1, 3, 4, 5, 9, 33})
            for (int k : new int[] {64, 128, 192, 2560})
                for (int t : new int[] {0, 1, 2, 3, 4, 5, 8, 9}) {
                    if (k == 2560 && t > 2 && t != 9) continue; // keeps the scalar reference quick
                    check(b, rnd, m, k, t, 0, m, m);
                    if (m >= 3) check(b, rnd, m, k, t, 1, m - 1, m + 3);
                    cases++;
                }
        check(b, rnd, 33, 256, 3, 7, 7, 40); // empty range
        check(b, rnd, 13, 192, 5, 12, 13, 13); // last row only
        assertTrue(cases > 150, "ran " + cases + " shapes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isas")
    void outputProjectionSliceDecodeAndBatch(String isa) {
        // 1100 rows of the 128256 x 2560 tied projection: decode (T=1, 4-row tiles with prefetch) and a batch.
        NativeBackend b = backend(isa);
        var rnd = new Random(3);
        check(b, rnd, 1100, 2560, 1, 0, 1096, 1100);
        check(b, rnd, 1100, 2560, 5, 3, 1100, 1100);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isas")
    void activationsFromQuantizeI8s(String isa) {
        // The real pipeline: float activations through quantizeI8s (which produces the exact token sums).
        NativeBackend b = backend(isa);
        var rnd = new Random(4);
        int m = 37, k = 640, t = 6;
        try (Arena arena = Arena.ofConfined()) {
            Q4Matrix w = randomQ4(arena, rnd, m, k);
            MemorySegment x = arena.allocate(4L * t * k), q = arena.allocate((long) t * k);
            MemorySegment s = arena.allocate(4L * t), sum = arena.allocate(4L * t);
            for (long i = 0; i < (long) t * k; i++) x.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
            REF.quantizeI8s(x, k, t, q, s, sum);
            assertBits(gemm(REF, arena, w, q, s, sum, t, m, 0, m), gemm(b, arena, w, q, s, sum, t, m, 0, m), b.describe());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isas")
    void extremeDotsAreExact(String isa) {
        // Every nibble 0 or 15 against -128 / 127 activations, up to K = 65536: the largest int16 partial sums
        // and the largest dot (|(0 - 8) * -128 * 65536| = 2^26).
        NativeBackend b = backend(isa);
        for (int k : new int[] {2560, 65536})
            for (byte wb : new byte[] {0x00, (byte) 0xff, 0x0f})
                for (byte a : new byte[] {-128, 127}) {
                    try (Arena arena = Arena.ofConfined()) {
                        int m = 5, t = 2;
                        Q4Matrix w = Q4Matrix.allocate(arena, m, k);
                        w.data().fill(wb);
                        for (int i = 0; i < m; i++) w.scales().setAtIndex(JAVA_FLOAT, i, 1f);
                        MemorySegment q = arena.allocate((long) t * k);
                        q.fill(a);
                        MemorySegment s = floats(arena, new float[] {1f, 3.5f}), sum = sums(arena, q, t, k);
                        float[] expected = gemm(REF, arena, w, q, s, sum, t, m, 0, m);
                        long perPair = wb == 0x0f ? (15 - 8) + (0 - 8) : 2L * ((wb & 0x0f) - 8); // low + high nibble
                        assertEquals((float) (perPair * a * (k / 2)), expected[0], "true dot");
                        assertBits(expected, gemm(b, arena, w, q, s, sum, t, m, 0, m), b.describe() + " K=" + k);
                    }
                }
    }

    private static void check(NativeBackend b, Random rnd, int m, int k, int t, int rowBegin, int rowEnd, int ldy) {
        try (Arena arena = Arena.ofConfined()) {
            Q4Matrix w = randomQ4(arena, rnd, m, k);
            MemorySegment q = arena.allocate(Math.max(1, (long) t * k));
            for (long i = 0; i < q.byteSize(); i++) q.set(JAVA_BYTE, i, (byte) (rnd.nextInt(256) - 128));
            float[] sc = new float[Math.max(1, t)];
            for (int i = 0; i < sc.length; i++) sc[i] = 0.5f + 200 * rnd.nextFloat();
            MemorySegment s = floats(arena, sc), sum = sums(arena, q, Math.max(1, t), k);
            float[] expected = gemm(REF, arena, w, q, s, sum, t, ldy, rowBegin, rowEnd);
            assertBits(expected, gemm(b, arena, w, q, s, sum, t, ldy, rowBegin, rowEnd),
                    b.describe() + " " + m + "x" + k + " t=" + t + " rows [" + rowBegin + "," + rowEnd + ") ldy=" + ldy);
        }
    }

    /** y is pre-filled with a NaN pattern: entries outside the range must keep it. */
    private static float[] gemm(Kernels b, Arena arena, Q4Matrix w, MemorySegment q, MemorySegment s, MemorySegment sum,
            int t, int ldy, int rowBegin, int rowEnd) {
        MemorySegment y = arena.allocate(4L * Math.max(1, t) * ldy);
        for (long i = 0; i < y.byteSize() / 4; i++) y.setAtIndex(JAVA_FLOAT, i, Float.intBitsToFloat(0x7fc0dead));
        b.q4Gemm(w, q, s, sum, t, y, ldy, rowBegin, rowEnd);
        return y.toArray(JAVA_FLOAT);
    }

    /** Any byte, so every nibble 0..15 (0, code -8, never comes from the packer); row 1 has scale 0. */
    private static Q4Matrix randomQ4(Arena arena, Random rnd, int m, int k) {
        Q4Matrix w = Q4Matrix.allocate(arena, m, k);
        for (long i = 0; i < w.data().byteSize(); i++) w.data().set(JAVA_BYTE, i, (byte) rnd.nextInt(256));
        for (int i = 0; i < m; i++) w.scales().setAtIndex(JAVA_FLOAT, i, i == 1 ? 0f : 1e-4f + 0.1f * rnd.nextFloat());
        return w;
    }

    /** The exact per-token activation sums the native kernels rely on. */
    private static MemorySegment sums(Arena arena, MemorySegment q, int t, int k) {
        MemorySegment s = arena.allocate(4L * t);
        for (int i = 0; i < t; i++) {
            int acc = 0;
            for (int j = 0; j < k && (long) i * k + j < q.byteSize(); j++) acc += q.get(JAVA_BYTE, (long) i * k + j);
            s.setAtIndex(JAVA_INT, i, acc);
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------------------
    // packer

    @Test
    void javaPackerEqualsNativePacker() {
        var rnd = new Random(5);
        for (int k : new int[] {64, 128, 2560}) {
            int m = 12;
            try (Arena arena = Arena.ofConfined()) {
                F16Matrix src = new F16Matrix(arena.allocate(2L * m * k), m, k);
                for (int r = 0; r < m; r++)
                    for (int i = 0; i < k; i++) src.data().setAtIndex(JAVA_SHORT, (long) r * k + i, half(rnd, r % 5));
                // max 7 gives scale 1: the .5 values must round half to even
                short[] ties = {0x4700, 0x3800, 0x3e00, 0x4100, (short) 0xc100, 0x4300, 0x4480, 0x4680, (short) 0xb800};
                for (int i = 0; i < ties.length; i++) src.data().setAtIndex(JAVA_SHORT, 5L * k + i, ties[i]);
                Q4Matrix java = Q4Matrix.quantize(src, arena);
                Q4Matrix nat = Q4Matrix.allocate(arena, m, k);
                nat.data().fill((byte) 0x5a);
                NativeBackend.quantizeQ4Rows(src, nat, 0, 4);
                NativeBackend.quantizeQ4Rows(src, nat, 4, m);
                assertArrayEquals(java.data().toArray(JAVA_BYTE), nat.data().toArray(JAVA_BYTE), "nibbles K=" + k);
                assertArrayEquals(java.scales().toArray(JAVA_FLOAT), nat.scales().toArray(JAVA_FLOAT), "scales K=" + k);
                for (int r = 0; r < m; r++)
                    for (int i = 0; i < k; i++) {
                        int c = Q4Matrix.code(nat.data(), r, k, i);
                        assertTrue(c >= -7 && c <= 7, "code " + c + " at row " + r + " col " + i);
                    }
                assertEquals(0f, java.scales().getAtIndex(JAVA_FLOAT, 1), "zero row scale");
                assertEquals((byte) 0x88, nat.data().get(JAVA_BYTE, k / 2), "zero row nibbles");
                assertEquals(1f, java.scales().getAtIndex(JAVA_FLOAT, 5));
                int[] want = {7, 0, 2, 2, -2, 4, 4, 6, 0};
                for (int i = 0; i < want.length; i++) assertEquals(want[i], Q4Matrix.code(nat.data(), 5, k, i), "tie " + i);
            }
        }
    }

    @Test
    void nonFiniteTablesAreRejectedByBothPackers() {
        for (short bad : new short[] {0x7c00, (short) 0xfc00, 0x7e00}) {
            try (Arena arena = Arena.ofConfined()) {
                F16Matrix src = new F16Matrix(arena.allocate(2L * 3 * 64), 3, 64);
                src.data().setAtIndex(JAVA_SHORT, 64 + 17, bad);
                Q4Matrix dst = Q4Matrix.allocate(arena, 3, 64);
                var e = assertThrows(IllegalArgumentException.class, () -> Q4Matrix.quantizeRows(src, dst, 0, 3));
                assertTrue(e.getMessage().contains("row 1"), e.getMessage());
                var n = assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(src, dst, 0, 3));
                assertTrue(n.getMessage().contains("row 1"), n.getMessage());
                NativeBackend.quantizeQ4Rows(src, dst, 2, 3); // rows without the bad value are fine
                NativeBackend.quantizeQ4Rows(src, dst, 0, 1);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // validation

    @Test
    void packerArgumentsAreValidated() {
        try (Arena arena = Arena.ofConfined()) {
            F16Matrix src = new F16Matrix(arena.allocate(2L * 4 * 64), 4, 64);
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(src, Q4Matrix.allocate(arena, 4, 128), 0, 4));
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(src, Q4Matrix.allocate(arena, 5, 64), 0, 4));
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(src, Q4Matrix.allocate(arena, 4, 64), 3, 2));
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(src, Q4Matrix.allocate(arena, 4, 64), -1, 2));
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(src, Q4Matrix.allocate(arena, 4, 64), 0, 5));
            // heap memory never reaches native code
            F16Matrix heap = new F16Matrix(MemorySegment.ofArray(new short[4 * 64]), 4, 64);
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeQ4Rows(heap, Q4Matrix.allocate(arena, 4, 64), 0, 4));
            // shapes the format cannot hold
            assertThrows(IllegalArgumentException.class, () -> Q4Matrix.allocate(arena, 1, 100));
            assertThrows(IllegalArgumentException.class, () -> Q4Matrix.allocate(arena, 1, I8Matrix.MAX_COLS + 64));
        }
    }

    @Test
    void badGemmArgumentsAreRejectedBeforeAnyKernelRuns() {
        try (Arena arena = Arena.ofConfined()) {
            Q4Matrix w = Q4Matrix.allocate(arena, 4, 64);
            MemorySegment q = arena.allocate(128), s = arena.allocate(8), sum = arena.allocate(8), y = arena.allocate(4 * 8);
            for (String isa : NativeBackend.supportedIsas()) {
                NativeBackend b = NativeBackend.select(isa);
                String what = b.describe();
                assertThrows(IndexOutOfBoundsException.class, () -> b.q4Gemm(w, q, s, sum, 3, y, 4, 0, 4), what + " q/s too small for 3 tokens");
                assertThrows(IndexOutOfBoundsException.class, () -> b.q4Gemm(w, q, arena.allocate(4), sum, 2, y, 4, 0, 4), what + " actScale");
                assertThrows(IndexOutOfBoundsException.class, () -> b.q4Gemm(w, q, s, arena.allocate(4), 2, y, 4, 0, 4), what + " actSum");
                assertThrows(IndexOutOfBoundsException.class, () -> b.q4Gemm(w, q, s, sum, 2, arena.allocate(20), 4, 0, 4), what + " y");
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, sum, 1, y, 3, 0, 3), what + " ldy < rows");
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, sum, 1, y, 4, 3, 2), what + " reversed range");
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, sum, 1, y, 4, -1, 2), what + " negative rowBegin");
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, sum, 1, y, 4, 0, 5), what + " rowEnd > rows");
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, sum, -1, y, 4, 0, 4), what + " negative tokens");
                // heap memory never reaches native code
                MemorySegment heapY = MemorySegment.ofArray(new float[8]);
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, sum, 1, heapY, 4, 0, 4), what + " heap y");
                MemorySegment heapSum = MemorySegment.ofArray(new int[2]);
                assertThrows(IllegalArgumentException.class, () -> b.q4Gemm(w, q, s, heapSum, 1, y, 4, 0, 4), what + " heap actSum");
            }
        }
    }
}
