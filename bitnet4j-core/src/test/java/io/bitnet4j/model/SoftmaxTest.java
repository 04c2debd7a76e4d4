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
    void expIsGgmlsExpfLaneForLane() {
        var rnd = new SplittableRandom(5);
        int n = 1003; // lanes and a tail
        float[] x = new float[n + 2], e = new float[n + 2];
        for (int round = 0; round < 3000; round++) {
            for (int j = 0; j < x.length; j++)
                x[j] = switch (j % 4) {
                    case 0 -> (float) (-rnd.nextDouble() * 87); // the whole range
                    case 1 -> (float) (-rnd.nextDouble() * 0.5); // near the maximum, where most of the mass is
                    case 2 -> -Float.intBitsToFloat(rnd.nextInt(0x3F800000)); // tiny magnitudes, down to subnormals
                    default -> (float) -Math.round(rnd.nextDouble() * 60 * 0.6931471805599453 * 8) / 8f; // near multiples of ln 2
                };
            System.arraycopy(x, 0, e, 0, x.length);
            double sum = Ops.expShiftedSum(e, 1, n, 0f);
            double expected = 0;
            for (int j = 1; j <= n; j++) {
                float scalar = Ops.expNonPositive(x[j]);
                assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(e[j]), "lane vs scalar at " + x[j]);
                double exact = Math.exp(x[j]);
                assertTrue(Math.abs(e[j] - exact) <= 2 * Math.ulp((float) exact), "e^" + x[j] + " = " + e[j] + ", exactly " + exact);
                if (x[j] >= -87f) assertEquals(Float.floatToRawIntBits(GgmlOrder.expf(x[j])), Float.floatToRawIntBits(e[j]), "ggml's expf at " + x[j]);
                expected += e[j];
            }
            assertEquals(x[0], e[0], "before the row: untouched");
            assertEquals(x[n + 1], e[n + 1], "after the row: untouched");
            assertEquals(expected, sum, 1e-12 * expected);
        }
        assertEquals(1f, Ops.expNonPositive(0f));
        assertEquals(1f, Ops.expNonPositive(-0f));
        assertTrue(Float.isNaN(Ops.expNonPositive(Float.NaN)));
        float floor = Ops.expNonPositive(-87f);
        assertEquals(floor, Ops.expNonPositive(Float.NEGATIVE_INFINITY), "clamped below -87");
        assertEquals(0f, Ops.roundF16(floor), "which any F16 rounding makes 0");
    }

    @Test
    void scaleToF16RoundsLikeTheF16ConversionsOnTheUnitInterval() {
        // every F16 value of [0, 1], the midpoints to the next (the ties) and a float ulp either side of both; then a sample
        java.util.List<Float> values = new java.util.ArrayList<>();
        for (short h = 0; h < 0x3C00; h++) {
            float lo = Float.float16ToFloat(h), mid = (float) ((lo + (double) Float.float16ToFloat((short) (h + 1))) / 2);
            for (float c : new float[] {lo, mid}) {
                values.add(c);
                values.add(Math.nextUp(c));
                if (c > 0) values.add(Math.nextDown(c));
            }
        }
        var rnd = new SplittableRandom(9);
        for (int i = 0; i < 1_000_000; i++) values.add(Float.intBitsToFloat(rnd.nextInt(Float.floatToRawIntBits(1f) + 1)));
        values.add(1f);
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) v[i] = values.get(i);
        float[] rounded = v.clone();
        Ops.scaleToF16(rounded, 0, v.length, 1f);
        for (int j = 0; j < v.length; j++)
            assertEquals(Float.floatToRawIntBits(Ops.roundF16(v[j])), Float.floatToRawIntBits(rounded[j]), "at " + v[j]);
        float[] tail = {0.3f, 0x1p-20f, 0.7f}; // shorter than a vector: the scalar twin
        Ops.scaleToF16(tail, 0, 3, 1f);
        assertEquals(Ops.roundF16(0x1p-20f), tail[1]);
        assertEquals(Ops.roundF16(0.7f), tail[2]);
        float[] nan = {Float.NaN};
        Ops.scaleToF16(nan, 0, 1, 0.5f);
        assertTrue(Float.isNaN(nan[0]));
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
