package io.bitnet4j.kernels;

import static io.bitnet4j.kernels.KernelTestData.assertBits;
import static io.bitnet4j.kernels.KernelTestData.floats;
import static io.bitnet4j.kernels.KernelTestData.half;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The I8 (row-quantized int8) output projection: JavaKernels (the definition), VectorKernels at every width,
 * and NativeBackend at every supported ISA must agree bit for bit; the pure-Java packer must equal the native
 * one; bad arguments must be rejected in Java.
 */
class I8KernelsTest {

    private static final JavaKernels REF = new JavaKernels();

    private static boolean emulated(int bits) {
        return bits > jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
    }

    /** Every backend under test: the vector widths the CPU runs natively plus the native ISAs. */
    private static List<Kernels> backends(boolean includeEmulated) {
        List<Kernels> out = new ArrayList<>();
        for (int bits : new int[] {128, 256, 512}) if (includeEmulated || !emulated(bits)) out.add(new VectorKernels(bits));
        for (String isa : NativeBackend.supportedIsas()) out.add(NativeBackend.select(isa));
        return out;
    }

    // ------------------------------------------------------------------------------------------------------
    // GEMM

    @Test
    void allBackendsMatchTheReferenceOverManyShapes() {
        var rnd = new Random(1);
        int[] ms = {1, 3, 5, 31, 33};
        int[] ks = {1, 17, 100, 128, 256, 2560};
        int[] ts = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        int cases = 0;
        for (int m : ms)
            for (int k : ks)
                for (int t : ts) {
                    if (k == 2560 && t > 2 && t != 9) continue; // keeps the scalar reference quick
                    check(backends(false), rnd, m, k, t, 0, m, m);
                    if (m >= 5) check(backends(false), rnd, m, k, t, 1, m - 2, m + 3);
                    cases++;
                }
        assertTrue(cases > 200, "ran " + cases + " shapes");
    }

    @Test
    void emulatedWidthsOnSmallShapes() {
        // 512 bits runs in the Vector API's Java fallback on AVX2 machines: small shapes only.
        var rnd = new Random(2);
        List<Kernels> vec = List.of(new VectorKernels(128), new VectorKernels(256), new VectorKernels(512));
        for (int k : new int[] {1, 63, 64, 65, 130, 300})
            for (int t : new int[] {1, 2, 5})
                for (int[] r : new int[][] {{0, 6}, {2, 5}, {3, 3}, {5, 6}}) check(vec, rnd, 6, k, t, r[0], r[1], 9);
    }

    @Test
    void outputProjectionSliceDecodeAndBatch() {
        // 4096 rows of the 128256 x 2560 tied projection, decode (T=1) and a batch of 8.
        var rnd = new Random(3);
        check(backends(false), rnd, 4100, 2560, 1, 0, 4096, 4100);
        check(backends(false), rnd, 4100, 2560, 8, 5, 4096, 4100);
    }

    @Test
    void emptyRangesAndNoTokensWriteNothing() {
        var rnd = new Random(4);
        check(backends(true), rnd, 9, 100, 3, 4, 4, 9);
        check(backends(true), rnd, 9, 100, 0, 0, 9, 9);
    }

    @ParameterizedTest
    @ValueSource(ints = {-127, 127})
    void extremeDotsAreExact(int wv) {
        // +-127 weights against -128 / 127 activations everywhere, up to K = 65536 (|dot| = 2^30 - 2^23).
        for (int k : new int[] {2560, 65536}) {
            for (byte a : new byte[] {-128, 127}) {
                try (Arena arena = Arena.ofConfined()) {
                    int m = 5, t = 2;
                    I8Matrix w = I8Matrix.allocate(arena, m, k);
                    w.data().fill((byte) wv);
                    for (int i = 0; i < m; i++) w.scales().setAtIndex(JAVA_FLOAT, i, 1f);
                    MemorySegment q = arena.allocate((long) t * k);
                    q.fill(a);
                    MemorySegment s = floats(arena, new float[] {1f, 3.5f});
                    float[] expected = gemm(REF, arena, w, q, s, t, m, 0, m);
                    assertEquals((float) ((long) wv * a * k), expected[0], "true dot");
                    for (Kernels b : backends(k < 4096)) assertBits(expected, gemm(b, arena, w, q, s, t, m, 0, m), b.describe() + " K=" + k);
                }
            }
        }
    }

    private static void check(List<Kernels> backends, Random rnd, int m, int k, int t, int rowBegin, int rowEnd, int ldy) {
        try (Arena arena = Arena.ofConfined()) {
            I8Matrix w = randomI8(arena, rnd, m, k);
            MemorySegment q = arena.allocate(Math.max(1, (long) t * k));
            for (long i = 0; i < q.byteSize(); i++) q.set(JAVA_BYTE, i, (byte) (rnd.nextInt(256) - 128));
            float[] sc = new float[Math.max(1, t)];
            for (int i = 0; i < sc.length; i++) sc[i] = 0.5f + 200 * rnd.nextFloat();
            MemorySegment s = floats(arena, sc);
            float[] expected = gemm(REF, arena, w, q, s, t, ldy, rowBegin, rowEnd);
            for (Kernels b : backends)
                assertBits(expected, gemm(b, arena, w, q, s, t, ldy, rowBegin, rowEnd),
                        b.describe() + " " + m + "x" + k + " t=" + t + " rows [" + rowBegin + "," + rowEnd + ") ldy=" + ldy);
        }
    }

    /** y is pre-filled with a NaN pattern: entries outside the range must keep it. */
    private static float[] gemm(Kernels b, Arena arena, I8Matrix w, MemorySegment q, MemorySegment s, int t, int ldy,
            int rowBegin, int rowEnd) {
        MemorySegment y = arena.allocate(4L * Math.max(1, t) * ldy);
        for (long i = 0; i < y.byteSize() / 4; i++) y.setAtIndex(JAVA_FLOAT, i, Float.intBitsToFloat(0x7fc0dead));
        b.i8Gemm(w, q, s, t, y, ldy, rowBegin, rowEnd);
        return y.toArray(JAVA_FLOAT);
    }

    private static I8Matrix randomI8(Arena arena, Random rnd, int m, int k) {
        I8Matrix w = I8Matrix.allocate(arena, m, k);
        for (long i = 0; i < w.data().byteSize(); i++) w.data().set(JAVA_BYTE, i, (byte) (rnd.nextInt(255) - 127));
        for (int i = 0; i < m; i++) w.scales().setAtIndex(JAVA_FLOAT, i, i == 1 ? 0f : 1e-4f + 0.1f * rnd.nextFloat());
        return w;
    }

    // ------------------------------------------------------------------------------------------------------
    // packer

    @Test
    void javaPackerEqualsNativePacker() {
        var rnd = new Random(5);
        for (int k : new int[] {1, 7, 100, 2560}) {
            int m = 12;
            try (Arena arena = Arena.ofConfined()) {
                F16Matrix src = new F16Matrix(arena.allocate(2L * m * k), m, k);
                for (int r = 0; r < m; r++)
                    for (int i = 0; i < k; i++) src.data().setAtIndex(JAVA_SHORT, (long) r * k + i, half(rnd, r % 5));
                if (k >= 7) { // max 127 gives scale 1: the .5 values must round half to even
                    short[] ties = {0x57f0, 0x3800, 0x3e00, 0x4100, (short) 0xc100, 0x5628, (short) 0xb800};
                    for (int i = 0; i < ties.length; i++) src.data().setAtIndex(JAVA_SHORT, 5L * k + i, ties[i]);
                }
                I8Matrix java = I8Matrix.quantize(src, arena);
                I8Matrix nat = I8Matrix.allocate(arena, m, k);
                NativeBackend.quantizeI8Rows(src, nat, 0, 4);
                NativeBackend.quantizeI8Rows(src, nat, 4, m);
                assertArrayEquals(java.data().toArray(JAVA_BYTE), nat.data().toArray(JAVA_BYTE), "codes K=" + k);
                assertArrayEquals(java.scales().toArray(JAVA_FLOAT), nat.scales().toArray(JAVA_FLOAT), "scales K=" + k);
                for (byte b : java.data().toArray(JAVA_BYTE)) assertTrue(b != -128, "-128 code");
                assertEquals(0f, java.scales().getAtIndex(JAVA_FLOAT, 1), "zero row scale");
                if (k >= 7) {
                    assertEquals(1f, java.scales().getAtIndex(JAVA_FLOAT, 5));
                    assertArrayEquals(new byte[] {127, 0, 2, 2, -2, 98, 0}, java.data().asSlice(5L * k, 7).toArray(JAVA_BYTE));
                }
            }
        }
    }

    @Test
    void packedMatrixApproximatesTheF16Rows() {
        var rnd = new Random(6);
        int m = 8, k = 300;
        try (Arena arena = Arena.ofConfined()) {
            F16Matrix src = new F16Matrix(arena.allocate(2L * m * k), m, k);
            for (long i = 0; i < (long) m * k; i++) src.data().setAtIndex(JAVA_SHORT, i, half(rnd, 0));
            I8Matrix q = I8Matrix.quantize(src, arena);
            for (int r = 0; r < m; r++) {
                float scale = q.scales().getAtIndex(JAVA_FLOAT, r);
                for (int i = 0; i < k; i++) {
                    float w = Float.float16ToFloat(src.data().getAtIndex(JAVA_SHORT, (long) r * k + i));
                    float back = scale * q.data().get(JAVA_BYTE, (long) r * k + i);
                    assertTrue(Math.abs(w - back) <= 0.5001f * scale, "row " + r + " col " + i + ": " + w + " vs " + back);
                }
            }
        }
    }

    @Test
    void nonFiniteTablesAreRejectedByBothPackers() {
        for (short bad : new short[] {0x7c00, (short) 0xfc00, 0x7e00}) {
            try (Arena arena = Arena.ofConfined()) {
                F16Matrix src = new F16Matrix(arena.allocate(2L * 3 * 10), 3, 10);
                src.data().setAtIndex(JAVA_SHORT, 17, bad);
                I8Matrix dst = I8Matrix.allocate(arena, 3, 10);
                var e = assertThrows(IllegalArgumentException.class, () -> I8Matrix.quantizeRows(src, dst, 0, 3));
                assertTrue(e.getMessage().contains("row 1"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeI8Rows(src, dst, 0, 3));
                I8Matrix.quantizeRows(src, dst, 2, 3); // rows without the bad value are fine
                NativeBackend.quantizeI8Rows(src, dst, 0, 1);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // validation

    @Test
    void matrixShapesAreValidated() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> new I8Matrix(arena.allocate(12), arena.allocate(8), 2, 5));
            assertThrows(IllegalArgumentException.class, () -> new I8Matrix(arena.allocate(10), arena.allocate(4), 2, 5));
            assertThrows(IllegalArgumentException.class, () -> new I8Matrix(arena.allocate(0), arena.allocate(0), 0, 5));
            assertThrows(IllegalArgumentException.class, () -> I8Matrix.allocate(arena, 1, I8Matrix.MAX_COLS + 1));
            F16Matrix src = new F16Matrix(arena.allocate(40), 4, 5);
            assertThrows(IllegalArgumentException.class, () -> I8Matrix.quantizeRows(src, I8Matrix.allocate(arena, 4, 6), 0, 4));
            assertThrows(IllegalArgumentException.class, () -> I8Matrix.quantizeRows(src, I8Matrix.allocate(arena, 4, 5), 2, 5));
            assertThrows(IllegalArgumentException.class, () -> NativeBackend.quantizeI8Rows(src, I8Matrix.allocate(arena, 4, 5), 3, 2));
        }
    }

    @Test
    void badGemmArgumentsAreRejectedBeforeAnyKernelRuns() {
        try (Arena arena = Arena.ofConfined()) {
            I8Matrix w = I8Matrix.allocate(arena, 4, 100);
            MemorySegment q = arena.allocate(200), s = arena.allocate(8), y = arena.allocate(4 * 8);
            for (Kernels b : List.of(REF, new VectorKernels(), new NativeBackend())) {
                String what = b.describe();
                assertThrows(IndexOutOfBoundsException.class, () -> b.i8Gemm(w, q, s, 3, y, 4, 0, 4), what + " q/s too small for 3 tokens");
                assertThrows(IndexOutOfBoundsException.class, () -> b.i8Gemm(w, q, arena.allocate(4), 2, y, 4, 0, 4), what + " actScale");
                assertThrows(IndexOutOfBoundsException.class, () -> b.i8Gemm(w, q, s, 2, arena.allocate(20), 4, 0, 4), what + " y");
                assertThrows(IllegalArgumentException.class, () -> b.i8Gemm(w, q, s, 1, y, 3, 0, 3), what + " ldy < rows");
                assertThrows(IllegalArgumentException.class, () -> b.i8Gemm(w, q, s, 1, y, 4, 3, 2), what + " reversed range");
                assertThrows(IllegalArgumentException.class, () -> b.i8Gemm(w, q, s, 1, y, 4, 0, 5), what + " rowEnd > rows");
                assertThrows(IllegalArgumentException.class, () -> b.i8Gemm(w, q, s, -1, y, 4, 0, 4), what + " negative tokens");
            }
            // heap memory never reaches native code
            MemorySegment heapY = MemorySegment.ofArray(new float[8]);
            assertThrows(IllegalArgumentException.class, () -> new NativeBackend().i8Gemm(w, q, s, 1, heapY, 4, 0, 4));
        }
    }
}
