package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * VectorKernels against the scalar reference (bit for bit for quantizeI8s and i2sGemm, to float rounding for
 * f16Gemm) at every vector width, and against the native library. 512 bits runs in the Vector API's Java
 * fallback on AVX2 machines (hundreds of times slower), so it gets small shapes.
 */
class VectorKernelsTest {

    private static final JavaKernels REF = new JavaKernels();
    private static final int[] MS = {1, 3, 5, 31, 64};
    private static final int[] KS = {128, 256, 384, 6912};
    private static final int[] TS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 17};

    private static boolean emulated(int bits) {
        return bits > jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
    }

    // ------------------------------------------------------------------------------------------------------
    // i2sGemm

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void i2sGemmMatchesReferenceOverManyShapes(int bits) {
        var vec = new VectorKernels(bits);
        var rnd = new Random(bits);
        int cases = 0;
        for (int m : MS)
            for (int k : KS)
                for (int t : TS) {
                    if (emulated(bits) && ((long) m * k * t > 40_000)) continue;
                    checkGemm(vec, rnd, m, k, t, 0, m, m, 3);
                    cases++;
                }
        assertTrue(cases >= 40, "ran " + cases + " shapes");
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256})
    void i2sGemmMatchesReferenceOnTheModelShapes(int bits) {
        var vec = new VectorKernels(bits);
        var rnd = new Random(7);
        int[][] shapes = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
        for (int[] s : shapes) checkGemm(vec, rnd, s[0], s[1], 1, 0, s[0], s[0], 3);
    }

    @Test
    void i2sGemmMatchesReferenceOnAModelShapeAt512Bits() {
        // One small slice of a model row width, so the emulated path also sees K = 2560 and K = 6912.
        var vec = new VectorKernels(512);
        var rnd = new Random(9);
        checkGemm(vec, rnd, 2, 2560, 1, 0, 2, 2, 3);
        checkGemm(vec, rnd, 1, 6912, 1, 0, 1, 1, 3);
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void i2sGemmPartialRowRangesAndWideLdy(int bits) {
        var vec = new VectorKernels(bits);
        var rnd = new Random(11);
        int m = 13;
        for (int k : new int[] {128, 384})
            for (int t : new int[] {1, 3, 4, 6})
                for (int[] range : new int[][] {{0, 13}, {0, 1}, {5, 6}, {3, 11}, {9, 13}, {4, 4}, {1, 8}})
                    checkGemm(vec, rnd, m, k, t, range[0], range[1], m + 7, 3);
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void i2sGemmExtremeActivationsWithAllCodesTwo(int bits) {
        var vec = new VectorKernels(bits);
        int k = emulated(bits) ? 768 : 6912;
        for (byte a : new byte[] {-128, 127}) {
            try (Arena arena = Arena.ofConfined()) {
                int m = 5, t = 5;
                MemorySegment w = arena.allocate(TernaryMatrix.bytes(m, k));
                w.fill((byte) 0xAA); // code 2 (weight +1) in every field
                MemorySegment q = arena.allocate((long) t * k);
                q.fill(a);
                var mat = new TernaryMatrix(w, m, k, 1.25f);
                MemorySegment scale = floats(arena, t, 3.5f), sum = ints(arena, t, a * k);
                float[] expected = gemm(REF, arena, mat, q, scale, sum, t, m, 0, m);
                float[] actual = gemm(vec, arena, mat, q, scale, sum, t, m, 0, m);
                assertBitsEqual(expected, actual, "a=" + a);
                // Sanity: dot = 2*a*k exactly, so y = ((2ak - ak) / 3.5) * 1.25.
                assertEquals((((float) (2 * a * k) - (float) (a * k)) / 3.5f) * 1.25f, actual[0]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void i2sGemmStaysExactForCorruptCodeThree(int bits) {
        // Code 3 never occurs in a valid file, but the reference multiplies it as 3: so do we (no int16 overflow).
        var vec = new VectorKernels(bits);
        int k = emulated(bits) ? 1024 : 6912;
        try (Arena arena = Arena.ofConfined()) {
            int m = 4, t = 1;
            MemorySegment w = arena.allocate(TernaryMatrix.bytes(m, k));
            w.fill((byte) 0xFF);
            MemorySegment q = arena.allocate(k);
            q.fill((byte) -128);
            var mat = new TernaryMatrix(w, m, k, 1f);
            MemorySegment scale = floats(arena, t, 1f), sum = ints(arena, t, 0);
            assertBitsEqual(gemm(REF, arena, mat, q, scale, sum, t, m, 0, m), gemm(vec, arena, mat, q, scale, sum, t, m, 0, m), "code 3");
        }
    }

    @Test
    void i2sGemmMatchesNativeBackend() {
        var vec = new VectorKernels();
        var nat = new NativeBackend();
        var rnd = new Random(5);
        for (int m : MS)
            for (int k : KS)
                for (int t : new int[] {1, 4, 5, 17}) {
                    try (Arena arena = Arena.ofConfined()) {
                        var mat = randomTernary(arena, rnd, m, k, 3);
                        MemorySegment q = randomBytes(arena, rnd, (long) t * k);
                        MemorySegment scale = randomScales(arena, rnd, t), sum = randomSums(arena, rnd, t);
                        assertBitsEqual(gemm(nat, arena, mat, q, scale, sum, t, m + 2, 0, m),
                                gemm(vec, arena, mat, q, scale, sum, t, m + 2, 0, m), "native " + m + "x" + k + " t=" + t);
                    }
                }
    }

    @Test
    void rejectsBadArgumentsLikeTheOtherBackends() {
        var vec = new VectorKernels();
        try (Arena arena = Arena.ofConfined()) {
            var w = new TernaryMatrix(arena.allocate(TernaryMatrix.bytes(4, 128)), 4, 128, 1f);
            MemorySegment q = arena.allocate(128), s = arena.allocate(4), sum = arena.allocate(4), y = arena.allocate(8);
            assertThrows(IndexOutOfBoundsException.class, () -> vec.i2sGemm(w, q, s, sum, 1, y, 4, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> vec.i2sGemm(w, q, s, sum, 1, y, 4, 3, 2));
        }
        assertThrows(IllegalArgumentException.class, () -> new VectorKernels(64));
    }

    @Test
    void describesItsWidth() {
        assertEquals("vector", new VectorKernels(256).name());
        assertEquals(256, new VectorKernels(256).bits());
        assertTrue(new VectorKernels(256).describe().startsWith("vector 256-bit (ByteVector 32 lanes"), new VectorKernels(256).describe());
        assertTrue(new VectorKernels(128).describe().startsWith("vector 128-bit (ByteVector 16 lanes"));
    }

    /** Random weights and activations, y prefilled with a sentinel that rows outside the range must keep. */
    private static void checkGemm(Kernels vec, Random rnd, int m, int k, int t, int rowBegin, int rowEnd, int ldy, int maxCode) {
        try (Arena arena = Arena.ofConfined()) {
            var mat = randomTernary(arena, rnd, m, k, maxCode);
            MemorySegment q = randomBytes(arena, rnd, (long) t * k);
            MemorySegment scale = randomScales(arena, rnd, t), sum = randomSums(arena, rnd, t);
            float[] expected = gemm(REF, arena, mat, q, scale, sum, t, ldy, rowBegin, rowEnd);
            float[] actual = gemm(vec, arena, mat, q, scale, sum, t, ldy, rowBegin, rowEnd);
            assertBitsEqual(expected, actual, m + "x" + k + " t=" + t + " rows [" + rowBegin + "," + rowEnd + ") ldy=" + ldy);
        }
    }

    private static float[] gemm(Kernels kernels, Arena arena, TernaryMatrix w, MemorySegment q, MemorySegment scale,
            MemorySegment sum, int t, int ldy, int rowBegin, int rowEnd) {
        MemorySegment y = arena.allocate(4L * t * ldy);
        y.fill((byte) 0x7f); // a NaN pattern: anything not written stays it in both backends
        kernels.i2sGemm(w, q, scale, sum, t, y, ldy, rowBegin, rowEnd);
        return y.toArray(JAVA_FLOAT);
    }

    private static TernaryMatrix randomTernary(Arena arena, Random rnd, int m, int k, int codes) {
        MemorySegment w = arena.allocate(TernaryMatrix.bytes(m, k));
        for (long i = 0; i < w.byteSize(); i++) {
            int b = 0;
            for (int j = 0; j < 4; j++) b = (b << 2) | rnd.nextInt(codes);
            w.set(JAVA_BYTE, i, (byte) b);
        }
        return new TernaryMatrix(w, m, k, 0.5f + rnd.nextFloat());
    }

    private static MemorySegment randomBytes(Arena arena, Random rnd, long n) {
        MemorySegment s = arena.allocate(n);
        for (long i = 0; i < n; i++) s.set(JAVA_BYTE, i, (byte) rnd.nextInt(256));
        return s;
    }

    private static MemorySegment randomScales(Arena arena, Random rnd, int t) {
        MemorySegment s = arena.allocate(4L * t);
        for (int i = 0; i < t; i++) s.setAtIndex(JAVA_FLOAT, i, 1f + 100f * rnd.nextFloat());
        return s;
    }

    private static MemorySegment randomSums(Arena arena, Random rnd, int t) {
        MemorySegment s = arena.allocate(4L * t);
        for (int i = 0; i < t; i++) s.setAtIndex(JAVA_INT, i, rnd.nextInt(20001) - 10000);
        return s;
    }

    private static MemorySegment floats(Arena arena, int n, float v) {
        MemorySegment s = arena.allocate(4L * n);
        for (int i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, v);
        return s;
    }

    private static MemorySegment ints(Arena arena, int n, int v) {
        MemorySegment s = arena.allocate(4L * n);
        for (int i = 0; i < n; i++) s.setAtIndex(JAVA_INT, i, v);
        return s;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++)
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
    }

    // ------------------------------------------------------------------------------------------------------
    // quantizeI8s

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void quantizeMatchesReference(int bits) {
        var vec = new VectorKernels(bits);
        var rnd = new Random(bits + 1);
        int[] ns = emulated(bits) ? new int[] {1, 7, 31, 64, 65, 128, 200}
                : new int[] {1, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 127, 128, 129, 2560, 6912, 6913};
        for (int n : ns)
            for (int rows : new int[] {1, 3})
                for (float magnitude : new float[] {1f, 1e-7f, 300f, 1e6f}) {
                    float[] x = new float[n * rows];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * magnitude;
                    checkQuantize(vec, x, n, rows);
                }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void quantizeEdgeCases(int bits) {
        var vec = new VectorKernels(bits);
        int n = 67;
        // Ties: max 127 gives s = 1, so x*s hits .5 exactly and must round half to even.
        float[] ties = new float[n];
        for (int i = 0; i < n; i++) ties[i] = (i - 33) + 0.5f;
        ties[0] = 127f;
        checkQuantize(vec, ties, n, 1);
        checkQuantize(vec, new float[n], n, 1); // all zero: the 1e-5 floor
        float[] tiny = new float[n];
        for (int i = 0; i < n; i++) tiny[i] = (i % 5 - 2) * 3e-6f;
        checkQuantize(vec, tiny, n, 1);
        float[] special = new float[n];
        for (int i = 0; i < n; i++) special[i] = i - 30;
        special[40] = Float.POSITIVE_INFINITY;
        checkQuantize(vec, special, n, 1);
        special[40] = Float.NaN;
        checkQuantize(vec, special, n, 1);
        special[40] = -0f;
        special[41] = Float.MIN_VALUE;
        checkQuantize(vec, special, n, 1);
    }

    @Test
    void quantizeMatchesNativeBackend() {
        var rnd = new Random(3);
        for (int n : new int[] {128, 2560, 6912}) {
            float[] x = new float[n * 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            checkQuantize(new NativeBackend(), x, n, 2);
            checkQuantize(new VectorKernels(), x, n, 2);
        }
    }

    private static void checkQuantize(Kernels kernels, float[] values, int n, int rows) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(JAVA_FLOAT, values);
            var expected = quantize(REF, arena, x, n, rows);
            var actual = quantize(kernels, arena, x, n, rows);
            String what = kernels.describe() + " n=" + n + " rows=" + rows;
            assertArrayEquals(expected[0], actual[0], what + " q");
            assertArrayEquals(expected[1], actual[1], what + " scale");
            assertArrayEquals(expected[2], actual[2], what + " sum");
        }
    }

    private static byte[][] quantize(Kernels kernels, Arena arena, MemorySegment x, int n, int rows) {
        MemorySegment q = arena.allocate((long) n * rows), s = arena.allocate(4L * rows), sum = arena.allocate(4L * rows);
        kernels.quantizeI8s(x, n, rows, q, s, sum);
        return new byte[][] {q.toArray(JAVA_BYTE), s.toArray(JAVA_BYTE), sum.toArray(JAVA_BYTE)};
    }

    // ------------------------------------------------------------------------------------------------------
    // f16Gemm

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void f16GemmWithinToleranceOfReference(int bits) {
        var vec = new VectorKernels(bits);
        var rnd = new Random(bits + 2);
        int[] ks = emulated(bits) ? new int[] {1, 17, 64, 100} : new int[] {1, 7, 16, 17, 64, 100, 2560};
        for (int m : new int[] {1, 5, 33})
            for (int k : ks)
                for (int t : new int[] {1, 2, 4, 5, 9}) {
                    if (emulated(bits) && m * k * t > 5000) continue;
                    for (int[] range : new int[][] {{0, m}, {m / 2, m}}) checkF16(vec, rnd, m, k, t, range[0], range[1], m + 3);
                }
    }

    @Test
    void f16GemmMatchesNativeWithinTolerance() {
        var rnd = new Random(13);
        checkF16(new NativeBackend(), rnd, 40, 2560, 1, 0, 40, 40);
        checkF16(new VectorKernels(), rnd, 40, 2560, 1, 0, 40, 40);
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void f16ConversionIsExactForEveryFiniteHalf(int bits) {
        // Rows of 64 halves times 64 one-hot tokens: y[t][m] = w[m][t] exactly (the other terms add zeros).
        var vec = new VectorKernels(bits);
        int k = 64, rows = 65536 / k, stride = emulated(bits) ? 37 : 1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * rows * k);
            for (int i = 0; i < rows * k; i++) {
                short h = (short) i;
                // Inf/NaN would turn the zero terms into NaN: they are checked separately below.
                if ((h & 0x7C00) == 0x7C00) h = (short) 0x3C00;
                w.setAtIndex(JAVA_SHORT, i, h);
            }
            MemorySegment x = arena.allocate(2L * k * k);
            for (int t = 0; t < k; t++) x.setAtIndex(JAVA_SHORT, (long) t * k + t, Float.floatToFloat16(1f));
            var mat = new F16Matrix(w, rows, k);
            for (int m0 = 0; m0 < rows; m0 += stride) {
                MemorySegment y = arena.allocate(4L * k * rows);
                vec.f16Gemm(mat, x, k, y, rows, m0, m0 + 1);
                for (int t = 0; t < k; t++) {
                    float expected = Float.float16ToFloat(w.getAtIndex(JAVA_SHORT, (long) m0 * k + t));
                    assertEquals(expected, y.getAtIndex(JAVA_FLOAT, (long) t * rows + m0), 0f, "half 0x" + Integer.toHexString(m0 * k + t));
                }
            }
            // Inf and NaN weights, with a single-token (fused) pass as well.
            MemorySegment w2 = arena.allocate(2L * 3 * k);
            for (int i = 0; i < 3 * k; i++) w2.setAtIndex(JAVA_SHORT, i, Float.floatToFloat16(0.5f));
            w2.setAtIndex(JAVA_SHORT, 5, (short) 0x7C00);
            w2.setAtIndex(JAVA_SHORT, k + 9, (short) 0xFC00);
            w2.setAtIndex(JAVA_SHORT, 2 * k + 3, (short) 0x7E01);
            MemorySegment ones = arena.allocate(2L * k);
            for (int i = 0; i < k; i++) ones.setAtIndex(JAVA_SHORT, i, Float.floatToFloat16(1f));
            MemorySegment y = arena.allocate(12);
            vec.f16Gemm(new F16Matrix(w2, 3, k), ones, 1, y, 3, 0, 3);
            assertEquals(Float.POSITIVE_INFINITY, y.getAtIndex(JAVA_FLOAT, 0));
            assertEquals(Float.NEGATIVE_INFINITY, y.getAtIndex(JAVA_FLOAT, 1));
            assertTrue(Float.isNaN(y.getAtIndex(JAVA_FLOAT, 2)));
        }
    }

    private static void checkF16(Kernels kernels, Random rnd, int m, int k, int t, int rowBegin, int rowEnd, int ldy) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * m * k), x = arena.allocate(2L * t * k);
            float[] wf = new float[m * k], xf = new float[t * k];
            for (int i = 0; i < m * k; i++) {
                // Mostly normal values, some subnormal ones.
                float v = rnd.nextInt(10) == 0 ? (float) rnd.nextGaussian() * 1e-5f : (float) rnd.nextGaussian();
                short h = Float.floatToFloat16(v);
                w.setAtIndex(JAVA_SHORT, i, h);
                wf[i] = Float.float16ToFloat(h);
            }
            for (int i = 0; i < t * k; i++) {
                short h = Float.floatToFloat16((float) rnd.nextGaussian() * 4);
                x.setAtIndex(JAVA_SHORT, i, h);
                xf[i] = Float.float16ToFloat(h);
            }
            var mat = new F16Matrix(w, m, k);
            MemorySegment ye = arena.allocate(4L * t * ldy), ya = arena.allocate(4L * t * ldy);
            ye.fill((byte) 0x7f);
            ya.fill((byte) 0x7f);
            REF.f16Gemm(mat, x, t, ye, ldy, rowBegin, rowEnd);
            kernels.f16Gemm(mat, x, t, ya, ldy, rowBegin, rowEnd);
            for (int tt = 0; tt < t; tt++)
                for (int r = 0; r < ldy; r++) {
                    long idx = (long) tt * ldy + r;
                    float e = ye.getAtIndex(JAVA_FLOAT, idx), a = ya.getAtIndex(JAVA_FLOAT, idx);
                    if (r < rowBegin || r >= rowEnd) {
                        assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(a), "untouched row " + r);
                        continue;
                    }
                    double mag = 0;
                    for (int i = 0; i < k; i++) mag += Math.abs((double) wf[r * k + i] * xf[tt * k + i]);
                    assertEquals(e, a, 1e-5 * mag + 1e-30, kernels.describe() + " " + m + "x" + k + " t=" + tt + " row " + r);
                }
        }
    }
}
