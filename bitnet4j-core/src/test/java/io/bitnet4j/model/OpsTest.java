package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The four-way attention helpers give exactly what four single calls give (the attention relies on it). */
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
            for (int u = 0; u < 4; u++) Ops.axpy(p[u], v, 3 + u * stride, expected, n);
            Ops.axpy4(p[0], p[1], p[2], p[3], v, 3, stride, got, n);
            assertArrayEquals(expected, got, "n=" + n);
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
