package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The attention softmax (vector exponentials, the sum in double, P rounded to F16) against a scalar reference. */
class SoftmaxTest {

    /** What the vector code replaced: (float) Math.exp per value, the sum in double, P rounded to F16. */
    private static void reference(float[] s, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[off + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(s[off + j] - max);
            s[off + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int j = 0; j < n; j++) s[off + j] = Ops.roundF16(s[off + j] * inv);
    }

    @Test
    void matchesTheScalarSoftmaxToOneF16StepOnOddLengthsAndOffsets() {
        var rnd = new SplittableRandom(11);
        for (int n : new int[] {1, 2, 7, 8, 9, 15, 16, 17, 63, 100, 255, 1000, 4096}) {
            for (double spread : new double[] {0.01, 1, 8, 40}) {
                int off = rnd.nextInt(5);
                float[] vector = new float[off + n + 3], expected = new float[off + n + 3];
                for (int j = 0; j < vector.length; j++) vector[j] = expected[j] = (float) (rnd.nextGaussian() * spread);
                Attention.softmaxToF16(vector, off, n);
                reference(expected, off, n);
                double total = 0;
                for (int j = 0; j < vector.length; j++) {
                    if (j < off || j >= off + n) {
                        assertEquals(expected[j], vector[j], "outside the row: untouched at " + j);
                        continue;
                    }
                    total += vector[j];
                    assertEquals(vector[j], Ops.roundF16(vector[j]), "P is an F16 value");
                    // one F16 step of the larger value: the exponentials may differ from Math.exp's by an ulp or so
                    float step = Math.ulp(Float.float16ToFloat(Float.floatToFloat16(Math.max(expected[j], 6.1e-5f)))) * 8192;
                    assertTrue(Math.abs(vector[j] - expected[j]) <= step,
                            "n=" + n + " spread=" + spread + " j=" + j + ": " + vector[j] + " vs " + expected[j]);
                }
                assertEquals(1.0, total, 2e-3 + n * 5e-4 / 1024, "n=" + n + " spread=" + spread);
            }
        }
    }

    @Test
    void theLargestScoreGetsTheLargestProbabilityAndEqualScoresShareEqually() {
        float[] s = new float[40];
        java.util.Arrays.fill(s, -3f);
        s[17] = 5f;
        Attention.softmaxToF16(s, 0, 40);
        for (int j = 0; j < 40; j++) if (j != 17) assertTrue(s[j] < s[17] && s[j] == s[0], "j=" + j);
        float[] flat = new float[33];
        Attention.softmaxToF16(flat, 0, 33);
        for (float p : flat) assertEquals(Ops.roundF16(1f / 33), p);
    }
}
