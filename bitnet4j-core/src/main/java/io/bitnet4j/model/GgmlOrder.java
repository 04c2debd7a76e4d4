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
     * In-place softmax of s[off, off+n): max, e = {@link #expf}(s - max), the denominator summed per 8-lane block
     * (as ggml's AVX2 soft_max reduces it: lanes i and i+4, then 0+2 and 1+3, then those two) and added in double
     * (a tail, which padding to 32 never leaves, element by element with the C library's expf), then
     * e * (float)(1/sum).
     */
    static void softmax(float[] s, int off, int n, float[] lanes) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[off + j]);
        double sum = 0;
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            for (int l = 0; l < LANES; l++) {
                float e = expf(s[off + j + l] - max);
                s[off + j + l] = e;
                lanes[l] = e;
            }
            float h0 = lanes[4] + lanes[0], h1 = lanes[5] + lanes[1], h2 = lanes[6] + lanes[2], h3 = lanes[7] + lanes[3];
            sum += (h0 + h2) + (h1 + h3);
        }
        for (; j < n; j++) {
            float e = CMath.expf(s[off + j] - max);
            s[off + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int k = 0; k < n; k++) s[off + k] *= inv;
    }

    /**
     * SiLU, x / (1 + e^-x), as ggml's AVX2 build computes it: with {@link #expf} on full 8-lane blocks of a row,
     * with the C library's expf on the rest (rows of I2_S models are whole 128-blocks, so there is no rest).
     */
    static float silu(float x, boolean inFullBlock) {
        float e = inFullBlock ? expf(0f - x) : CMath.expf(-x);
        return x / (1f + e);
    }

    /**
     * e^x as ggml's AVX2 {@code ggml_v_expf} computes it (a polynomial adapted from Arm's optimized routines,
     * within 1.5 ulp; every operation below is one float rounding, the fused ones are {@link Math#fma}). x = n ln2
     * + b with n = round(x / ln2) found by the 1.5 * 2^23 shift; 2^n is built in the exponent bits; e^b - 1 is a
     * degree-5 polynomial; |n| > 126 takes a two-factor scaling path that overflows to infinity or flushes to 0.
     */
    static float expf(float x) {
        final float shift = 0x1.8p23f;
        float z = Math.fma(x, 0x1.715476p+0f, shift);       // x / ln2 + shift: n sits in the low mantissa bits
        float n = z - shift;
        float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x)); // x - n ln2, ln2 in two parts
        int e = Float.floatToRawIntBits(z) << 23;           // n moved into the exponent field
        float k = Float.intBitsToFloat(e + Float.floatToRawIntBits(1f)); // 2^n
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                u, 0x1.ffffecp-1f * b);                     // e^b - 1
        if (!(Math.abs(n) > 126)) return Math.fma(j, k, k);
        int g = n <= 0 ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7f000000), s2 = Float.intBitsToFloat(e - g);
        if (Math.abs(n) > 192) return s1 * s1;
        return Math.fma(s2, j, s2) * s1;
    }

    /** ggml pads the attended KV length to a multiple of 32; masked cells get p = 0. */
    static int padded(int n) {
        return (n + STEP - 1) / STEP * STEP;
    }
}
