package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The multi-way attention helpers give exactly what the single calls give (the attention relies on it). */
class OpsTest {

    @Test
    void dot4IsFourDots() {
        Random rnd = new Random(5);
        for (int n : new int[] {1, 7, 8, 9, 64, 100, 128, 131}) {
            int stride = n + 3;
            float[] a = random(rnd, n + 2), b = random(rnd, 2 + 4 * stride), out = new float[4];
            Ops.dot4(a, 2, b, 2, stride, n, out);
            for (int u = 0; u < 4; u++)
                assertEquals(Float.floatToIntBits(Ops.dot(a, 2, b, 2 + u * stride, n)), Float.floatToIntBits(out[u]), "n=" + n + " u=" + u);
        }
    }

    @Test
    void axpy4IsFourAxpysInOrder() {
        Random rnd = new Random(6);
        for (int n : new int[] {1, 7, 8, 9, 64, 100, 128, 131}) {
            int stride = n + 1;
            float[] v = random(rnd, 3 + 4 * stride), p = random(rnd, 4), expected = random(rnd, n), got = expected.clone();
            for (int u = 0; u < 4; u++) Ops.axpy(p[u], v, 3 + u * stride, expected, 0, n);
            Ops.axpy4(p[0], p[1], p[2], p[3], v, 3, stride, got, n);
            assertArrayEquals(expected, got, "n=" + n);
        }
    }

    @Test
    void dot4x2IsEightDots() {
        Random rnd = new Random(7);
        for (int n : new int[] {1, 7, 8, 9, 16, 17, 64, 100, 128, 131}) {
            int aStride = n + 5, bStride = n + 3;
            float[] a = random(rnd, 1 + 4 * aStride), b = random(rnd, 2 + 2 * bStride), out = new float[Ops.DOT4X2_OUT];
            Ops.dot4x2(a, 1, aStride, b, 2, bStride, n, out);
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < 2; k++)
                    assertEquals(Float.floatToIntBits(Ops.dot(a, 1 + r * aStride, b, 2 + k * bStride, n)), Float.floatToIntBits(out[2 * r + k]),
                            "n=" + n + " row " + r + " key " + k);
        }
    }

    @Test
    void axpy4x2IsTwoAxpy4s() {
        Random rnd = new Random(8);
        for (int n : new int[] {1, 7, 8, 9, 16, 17, 64, 100, 128, 131}) {
            int stride = n + 1;
            float[] v = random(rnd, 3 + 4 * stride), p = random(rnd, 11), expected = random(rnd, 2 + 2 * n), got = expected.clone();
            Ops.axpy4x2(p, 1, 6, v, 3, stride, got, 2, 2 + n, n);
            float[] a = java.util.Arrays.copyOfRange(expected, 2, 2 + n), b = java.util.Arrays.copyOfRange(expected, 2 + n, 2 + 2 * n);
            Ops.axpy4(p[1], p[2], p[3], p[4], v, 3, stride, a, n);
            Ops.axpy4(p[6], p[7], p[8], p[9], v, 3, stride, b, n);
            assertArrayEquals(a, java.util.Arrays.copyOfRange(got, 2, 2 + n), "head A, n=" + n);
            assertArrayEquals(b, java.util.Arrays.copyOfRange(got, 2 + n, 2 + 2 * n), "head B, n=" + n);
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, 0, 2), java.util.Arrays.copyOfRange(got, 0, 2), "before both: untouched");
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
