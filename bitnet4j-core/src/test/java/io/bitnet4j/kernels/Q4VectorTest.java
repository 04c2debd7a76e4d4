package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
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
 * The 4-bit output projection in Java: the layout and quantizer of {@link Q4Matrix} against an independent
 * computation, the scalar q4Gemm against plain integer arithmetic, and the Vector API q4Gemm bit for bit
 * against the scalar one at every width (512 bits is emulated on AVX2 machines, so it gets small shapes).
 */
class Q4VectorTest {

    private static final JavaKernels REF = new JavaKernels();

    private static boolean emulated(int bits) {
        return bits > jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
    }

    @Test
    void quantizerStoresRoundedCodesInTheDocumentedNibbles() {
        try (Arena arena = Arena.ofConfined()) {
            int m = 3, k = 128;
            Random rnd = new Random(1);
            F16Matrix src = new F16Matrix(arena.allocate(2L * m * k), m, k);
            float[][] values = new float[m][k];
            for (int r = 0; r < m; r++)
                for (int i = 0; i < k; i++) {
                    float v = r == 2 ? 0f : (float) rnd.nextGaussian();
                    short h = Float.floatToFloat16(v);
                    src.data().setAtIndex(JAVA_SHORT, (long) r * k + i, h);
                    values[r][i] = Float.float16ToFloat(h);
                }
            Q4Matrix q = Q4Matrix.quantize(src, arena);
            for (int r = 0; r < m; r++) {
                float max = 0;
                for (float v : values[r]) max = Math.max(max, Math.abs(v));
                float scale = max / 7f;
                assertEquals(scale, q.scales().getAtIndex(JAVA_FLOAT, r), "row " + r + " scale");
                for (int i = 0; i < k; i++) {
                    int expected = max == 0 ? 0 : Math.max(-7, Math.min(7, Math.round(values[r][i] / scale)));
                    if (max != 0 && Math.abs(Math.abs(values[r][i] / scale) % 1f - 0.5f) < 1e-6f) continue; // half-way: rint's tie rule
                    // independent decoding of the layout: group of 64, byte j = element j (low) and 32 + j (high)
                    int group = i / 64, within = i % 64;
                    int b = q.data().get(JAVA_BYTE, (long) r * k / 2 + group * 32 + within % 32) & 0xff;
                    int nibble = within < 32 ? b & 15 : b >>> 4;
                    assertEquals(expected, nibble - 8, "row " + r + " element " + i);
                }
            }
        }
    }

    @Test
    void quantizerRejectsNonFiniteValuesAndBadShapes() {
        try (Arena arena = Arena.ofConfined()) {
            F16Matrix src = new F16Matrix(arena.allocate(2L * 64), 1, 64);
            src.data().setAtIndex(JAVA_SHORT, 5, (short) 0x7c00);
            var e = assertThrows(IllegalArgumentException.class, () -> Q4Matrix.quantize(src, arena));
            assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Q4Matrix.allocate(arena, 2, 96), "K not a multiple of 64");
            assertThrows(IllegalArgumentException.class, () -> Q4Matrix.allocate(arena, 2, 65536 + 64), "K over the int32 bound");
        }
    }

    @Test
    void scalarGemmIsTheIntegerDot() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(2);
            int m = 5, k = 192, t = 3;
            Q4Matrix w = randomQ4(arena, rnd, m, k);
            MemorySegment q = randomBytes(arena, rnd, (long) t * k);
            MemorySegment s = arena.allocate(4L * t), sum = sums(arena, q, t, k);
            for (int i = 0; i < t; i++) s.setAtIndex(JAVA_FLOAT, i, 0.5f + i);
            float[] y = gemm(REF, arena, w, q, s, sum, t, 0, m, m);
            for (int tt = 0; tt < t; tt++)
                for (int r = 0; r < m; r++) {
                    int dot = 0;
                    for (int i = 0; i < k; i++) {
                        int group = i / 64, within = i % 64;
                        int b = w.data().get(JAVA_BYTE, (long) r * k / 2 + group * 32 + within % 32) & 0xff;
                        dot += ((within < 32 ? b & 15 : b >>> 4) - 8) * q.get(JAVA_BYTE, (long) tt * k + i);
                    }
                    float expected = ((float) dot / s.getAtIndex(JAVA_FLOAT, tt)) * w.scales().getAtIndex(JAVA_FLOAT, r);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(y[tt * m + r]), "t " + tt + " row " + r);
                }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void vectorGemmMatchesReferenceOverManyShapes(int bits) {
        var vec = new VectorKernels(bits);
        var rnd = new Random(bits);
        int cases = 0;
        for (int m : new int[] {1, 3, 4, 5, 9, 33})
            for (int k : new int[] {64, 128, 192, 2560, 6912})
                for (int t : new int[] {1, 2, 3, 5, 9}) {
                    if (emulated(bits) && (long) m * k * t > 40_000) continue;
                    check(vec, rnd, m, k, t, 0, m, m);
                    cases++;
                }
        check(vec, rnd, 9, 128, 2, 3, 8, 11);  // a range not starting at 0, ldy > M
        check(vec, rnd, 9, 128, 2, 4, 4, 9);   // empty range
        check(vec, rnd, 9, 128, 0, 0, 9, 9);   // no tokens
        assertTrue(cases >= 20, "ran " + cases + " shapes");
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256})
    void extremeDotsAreExact(int bits) {
        // every nibble 0 or 15 (codes -8 / 7, beyond what the quantizer writes) against -128 / 127, K = 65536
        var vec = new VectorKernels(bits);
        for (int nibble : new int[] {0, 15})
            for (byte a : new byte[] {-128, 127})
                try (Arena arena = Arena.ofConfined()) {
                    int m = 5, k = 65536, t = 2;
                    Q4Matrix w = Q4Matrix.allocate(arena, m, k);
                    w.data().fill((byte) (nibble | nibble << 4));
                    for (int i = 0; i < m; i++) w.scales().setAtIndex(JAVA_FLOAT, i, 1f);
                    MemorySegment q = arena.allocate((long) t * k);
                    q.fill(a);
                    MemorySegment s = arena.allocate(4L * t), sum = sums(arena, q, t, k);
                    for (int i = 0; i < t; i++) s.setAtIndex(JAVA_FLOAT, i, 1f);
                    float[] expected = gemm(REF, arena, w, q, s, sum, t, 0, m, m);
                    assertEquals((float) ((nibble - 8) * a * k), expected[0], "reference");
                    float[] got = gemm(vec, arena, w, q, s, sum, t, 0, m, m);
                    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], "nibble " + nibble + " a " + a);
                }
    }

    private static void check(Kernels vec, Random rnd, int m, int k, int t, int rowBegin, int rowEnd, int ldy) {
        try (Arena arena = Arena.ofConfined()) {
            Q4Matrix w = randomQ4(arena, rnd, m, k);
            MemorySegment q = randomBytes(arena, rnd, (long) t * k);
            MemorySegment s = arena.allocate(4L * Math.max(1, t));
            for (int i = 0; i < t; i++) s.setAtIndex(JAVA_FLOAT, i, 1f + rnd.nextFloat() * 100);
            MemorySegment sum = sums(arena, q, t, k);
            float[] expected = gemm(REF, arena, w, q, s, sum, t, rowBegin, rowEnd, ldy);
            float[] got = gemm(vec, arena, w, q, s, sum, t, rowBegin, rowEnd, ldy);
            for (int i = 0; i < expected.length; i++)
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[i]),
                        vec.describe() + " M=" + m + " K=" + k + " T=" + t + " [" + rowBegin + "," + rowEnd + ") index " + i);
        }
    }

    /** Random nibbles over all 16 values (the kernels must be exact for every one) and random scales. */
    static Q4Matrix randomQ4(Arena arena, Random rnd, int m, int k) {
        Q4Matrix w = Q4Matrix.allocate(arena, m, k);
        for (long i = 0; i < w.data().byteSize(); i++) w.data().set(JAVA_BYTE, i, (byte) rnd.nextInt(256));
        for (int i = 0; i < m; i++) w.scales().setAtIndex(JAVA_FLOAT, i, rnd.nextFloat() * 0.1f);
        return w;
    }

    static MemorySegment randomBytes(Arena arena, Random rnd, long n) {
        MemorySegment s = arena.allocate(Math.max(1, n));
        for (long i = 0; i < n; i++) s.set(JAVA_BYTE, i, (byte) rnd.nextInt(256));
        return s;
    }

    /** The exact per-token sums of q, as quantizeI8s reports them. */
    static MemorySegment sums(Arena arena, MemorySegment q, int t, int k) {
        MemorySegment sum = arena.allocate(4L * Math.max(1, t));
        for (int tt = 0; tt < t; tt++) {
            int s = 0;
            for (int i = 0; i < k; i++) s += q.get(JAVA_BYTE, (long) tt * k + i);
            sum.setAtIndex(JAVA_INT, tt, s);
        }
        return sum;
    }

    static float[] gemm(Kernels kernels, Arena arena, Q4Matrix w, MemorySegment q, MemorySegment s, MemorySegment sum,
            int t, int rowBegin, int rowEnd, int ldy) {
        MemorySegment y = arena.allocate(4L * Math.max(1, t) * ldy);
        y.fill((byte) 0x7f); // untouched entries must stay as they were
        kernels.q4Gemm(w, q, s, sum, t, y, ldy, rowBegin, rowEnd);
        float[] out = new float[t * ldy];
        MemorySegment.copy(y, JAVA_FLOAT, 0, out, 0, out.length);
        return out;
    }
}
