package io.bitnet4j.model;

/**
 * Sums in the exact order of ggml's AVX2 code, for the "exact" numerics mode (spec §3.7): with these, the
 * decode path reproduces bitnet.cpp's float results bit for bit instead of to within rounding.
 *
 * <p>An F16 dot product runs 4 accumulators of 8 float lanes over 32-element steps, each product added as
 * one fused multiply-add; then accumulators 0+2 and 1+3, their sum, and the 8 lanes pairwise; the n mod 32
 * tail is added in double. Scalar code with {@link Math#fma} gives exactly those roundings on any CPU.
 */
final class GgmlOrder {
    private GgmlOrder() {}

    private static final int STEP = 32, LANES = 8;

    /** Dot product of n values already rounded to F16 (held as floats), in ggml_vec_dot_f16's order. */
    static float dotF16(float[] x, int xOff, float[] y, int yOff, int n, float[] acc) {
        java.util.Arrays.fill(acc, 0, STEP, 0f);
        int full = n & ~(STEP - 1);
        for (int i = 0; i < full; i += STEP)
            for (int j = 0; j < STEP; j++) acc[j] = Math.fma(x[xOff + i + j], y[yOff + i + j], acc[j]);
        for (int l = 0; l < LANES; l++) {
            acc[l] = acc[l] + acc[2 * LANES + l];              // accumulator 0 + 2
            acc[LANES + l] = acc[LANES + l] + acc[3 * LANES + l]; // accumulator 1 + 3
            acc[l] = acc[l] + acc[LANES + l];
        }
        double sum = reduce8(acc, 0);
        for (int i = full; i < n; i++) sum += x[xOff + i] * y[yOff + i];
        return (float) sum;
    }

    /** The 8-lane horizontal sum: lanes i and i+4, then pairs, then the two halves (two hadds). */
    static float reduce8(float[] v, int off) {
        float a0 = v[off] + v[off + 4], a1 = v[off + 1] + v[off + 5], a2 = v[off + 2] + v[off + 6], a3 = v[off + 3] + v[off + 7];
        return (a0 + a1) + (a2 + a3);
    }

    /**
     * In-place softmax of s[off, off+n): max, e = exp(s - max) in float, the denominator summed as 8-lane
     * partial sums added in double (tail element by element), then e * (float)(1/sum).
     */
    static void softmax(float[] s, int off, int n, float[] lanes) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[off + j]);
        double sum = 0;
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            for (int l = 0; l < LANES; l++) {
                float e = (float) Math.exp(s[off + j + l] - max);
                s[off + j + l] = e;
                lanes[l] = e;
            }
            sum += reduce8(lanes, 0);
        }
        for (; j < n; j++) {
            float e = (float) Math.exp(s[off + j] - max);
            s[off + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int k = 0; k < n; k++) s[off + k] *= inv;
    }

    /** ggml pads the attended KV length to a multiple of 32; masked cells get p = 0. */
    static int padded(int n) {
        return (n + STEP - 1) / STEP * STEP;
    }
}
