/* Scalar reference kernels: the definition every SIMD kernel is tested against, bit for bit. */
#include <math.h>
#include <string.h>

#include "../internal.h"

extern "C" {

/* round half to even via the 1.5*2^23 trick, exactly as ggml's nearest_int (valid for |v| < 2^22) */
static inline int32_t nearest_int(float v) {
    float f = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

static void quantize_i8s_ref(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        int8_t *qr = q + r * n;
        double max = 1e-5;
        for (int64_t i = 0; i < n; i++) {
            double a = fabs((double)xr[i]);
            if (a > max) max = a;
        }
        float s = (float)(127.0 / max);
        int32_t acc = 0;
        for (int64_t i = 0; i < n; i++) {
            int32_t v = nearest_int(xr[i] * s);
            if (v > 127) v = 127;
            if (v < -128) v = -128;
            qr[i] = (int8_t)v;
            acc += v;
        }
        scale[r] = s;
        sum[r] = acc;
    }
}

/* code of element k in a row: block k/128, byte (k%128)%32, group (k%128)/32 at bits 7-2g..6-2g */
static inline int32_t i2s_code(const uint8_t *row, int64_t k) {
    int64_t block = k / B4J_I2S_BLOCK, in = k % B4J_I2S_BLOCK;
    uint8_t byte = row[block * B4J_I2S_BLOCK_BYTES + (in % 32)];
    return (byte >> (6 - 2 * (in / 32))) & 3;
}

static void i2s_gemm_ref(const uint8_t *w, float w_scale, int64_t K,
                         const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                         float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    const int64_t row_bytes = K / 4;
    for (int64_t t = 0; t < T; t++) {
        const int8_t *qt = q + t * K;
        for (int64_t m = m_begin; m < m_end; m++) {
            const uint8_t *row = w + m * row_bytes;
            int32_t dot = 0;
            for (int64_t k = 0; k < K; k++) dot += i2s_code(row, k) * (int32_t)qt[k];
            y[t * ldy + m] = b4j_epilogue(dot, act_sum[t], act_scale[t], w_scale);
        }
    }
}

static void f16_gemm_ref(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                         float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    for (int64_t t = 0; t < T; t++) {
        const uint16_t *xt = x + t * K;
        for (int64_t m = m_begin; m < m_end; m++) {
            const uint16_t *row = w + m * K;
            double acc = 0;  /* double: the reference is the most accurate sum, SIMD kernels match to rounding */
            for (int64_t k = 0; k < K; k++)
                acc += (double)b4j_ref_f16_to_f32(row[k]) * (double)b4j_ref_f16_to_f32(xt[k]);
            y[t * ldy + m] = (float)acc;
        }
    }
}

/* ---- I8: row-quantized int8 weights (the quantized output projection) */

/* Non-finite F16 (exponent all ones) counts as 0, so the packer is defined for any bit pattern. */
static inline float i8_input(uint16_t h) {
    return (h & 0x7c00) == 0x7c00 ? 0.0f : b4j_ref_f16_to_f32(h);
}

void b4j_ref_i8_quantize_rows(const uint16_t *f16, int64_t K, int8_t *q, float *scales, int64_t m_begin, int64_t m_end) {
    for (int64_t m = m_begin; m < m_end; m++) {
        const uint16_t *row = f16 + m * K;
        int8_t *qr = q + m * K;
        float max = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float a = fabsf(i8_input(row[k]));
            if (a > max) max = a;
        }
        if (max == 0.0f) {  /* all-zero row: scale 0 and codes 0 (no 0/0) */
            scales[m] = 0.0f;
            memset(qr, 0, (size_t)K);
            continue;
        }
        const float scale = max / 127.0f;
        for (int64_t k = 0; k < K; k++) {
            /* |a / scale| is at most ~127.00002 (max / (max/127) in float), far inside nearest_int's range;
             * the clamp to [-127, 127] absorbs that last rounding step and guarantees no -128 */
            int32_t v = nearest_int(i8_input(row[k]) / scale);
            if (v > 127) v = 127;
            if (v < -127) v = -127;
            qr[k] = (int8_t)v;
        }
        scales[m] = scale;
    }
}

static void i8_gemm_ref(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                        int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    for (int64_t t = 0; t < T; t++) {
        const int8_t *qt = q + t * K;
        for (int64_t m = m_begin; m < m_end; m++) {
            const int8_t *row = w + m * K;
            int32_t dot = 0;
            for (int64_t k = 0; k < K; k++) dot += (int32_t)row[k] * (int32_t)qt[k];
            y[t * ldy + m] = b4j_i8_epilogue(dot, act_scale[t], w_scales[m]);
        }
    }
}

/* ---- Q4: row-quantized 4-bit weights (the smallest output projection copy, a ranking pass) */

/* Byte of element k in a row: group k/64 is 32 bytes, element j and 32 + j share byte j. */
static inline int64_t q4_byte(int64_t k) { return (k / B4J_Q4_GROUP) * (B4J_Q4_GROUP / 2) + k % (B4J_Q4_GROUP / 2); }
static inline int q4_high(int64_t k) { return k % B4J_Q4_GROUP >= B4J_Q4_GROUP / 2; }

/* Stored nibble (code + 8) of element k; any value 0..15 is read as is, even those the packer never writes. */
static inline int32_t q4_nibble(const uint8_t *row, int64_t k) {
    const uint8_t b = row[q4_byte(k)];
    return q4_high(k) ? b >> 4 : b & 0x0f;
}

static inline void q4_set_nibble(uint8_t *row, int64_t k, int32_t nibble) {
    uint8_t *b = row + q4_byte(k);
    *b = q4_high(k) ? (uint8_t)((*b & 0x0f) | nibble << 4) : (uint8_t)((*b & 0xf0) | nibble);
}

void b4j_ref_q4_quantize_rows(const uint16_t *f16, int64_t K, uint8_t *q, float *scales, int64_t m_begin, int64_t m_end) {
    for (int64_t m = m_begin; m < m_end; m++) {
        const uint16_t *row = f16 + m * K;
        uint8_t *qr = q + m * (K / 2);
        float max = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float a = fabsf(i8_input(row[k]));  /* same input rule as the I8 packer: non-finite counts as 0 */
            if (a > max) max = a;
        }
        const float scale = max / 7.0f;
        for (int64_t k = 0; k < K; k++) {
            /* |a / scale| is at most ~7.000001; the clamp absorbs that last rounding step. A zero row gets
             * code 0 without computing 0/0. */
            int32_t c = max == 0.0f ? 0 : nearest_int(i8_input(row[k]) / scale);
            if (c > 7) c = 7;
            if (c < -7) c = -7;
            q4_set_nibble(qr, k, c + 8);
        }
        scales[m] = scale;  /* 0 for a zero row */
    }
}

/* The definition: signed codes times activations, no act_sum (the SIMD kernels' shortcut needs it). */
static void q4_gemm_ref(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                        const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    (void)act_sum;
    for (int64_t t = 0; t < T; t++) {
        const int8_t *qt = q + t * K;
        for (int64_t m = m_begin; m < m_end; m++) {
            const uint8_t *row = w + m * (K / 2);
            int32_t dot = 0;
            for (int64_t k = 0; k < K; k++) dot += (q4_nibble(row, k) - 8) * (int32_t)qt[k];
            y[t * ldy + m] = b4j_i8_epilogue(dot, act_scale[t], w_scales[m]);
        }
    }
}

float b4j_ref_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);           /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);  /* normal */
    } else if (man == 0) {
        bits = sign;                                       /* zero */
    } else {                                               /* subnormal: renormalise */
        int e = -1;
        do { man <<= 1; e++; } while ((man & 0x400) == 0);
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t b4j_ref_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t abs = x & 0x7fffffff;
    if (abs >= 0x7f800000u)                                /* inf or nan (keep nan quiet) */
        return (uint16_t)(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 | ((abs >> 13) & 0x3ff) : 0));
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to >= 65520: overflow to inf */
    if (abs < 0x38800000u) {                                   /* result is subnormal or zero */
        if (abs < 0x33000000u) return (uint16_t)sign;          /* < half the smallest subnormal: 0 */
        uint32_t e = abs >> 23;
        uint32_t man = (abs & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;                              /* 14..24 */
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((abs >> 13) - (112u << 10));
    uint32_t rem = abs & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;  /* may carry into the exponent: correct */
    return (uint16_t)(sign | h);
}

/* The scalar MAC loop: 8 independent chains of integer multiply-adds (unsigned, so wrap-around is defined).
 * The empty asm makes every product and sum opaque, so the compiler can neither hoist the products out of the
 * loop nor vectorize or fold the chains: this is the rate of scalar multiply-adds. */
static int64_t int8_mac_loop_ref(int64_t rounds) {
    uint32_t a = 3, b0 = 5, b1 = 6, b2 = 7, b3 = 8, b4 = 9, b5 = 10, b6 = 11, b7 = 12;
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    __asm__("" : "+r"(b0), "+r"(b1), "+r"(b2), "+r"(b3), "+r"(b4), "+r"(b5), "+r"(b6), "+r"(b7)); /* no lea tricks */
    for (int64_t i = 0; i < rounds; i++) {
        __asm__("" : "+r"(a));
        s0 += a * b0; s1 += a * b1; s2 += a * b2; s3 += a * b3; s4 += a * b4; s5 += a * b5; s6 += a * b6; s7 += a * b7;
        __asm__("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3), "+r"(s4), "+r"(s5), "+r"(s6), "+r"(s7));
    }
    const uint32_t s = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    __asm__ volatile("" : : "r"(s)); /* the sums are used: the loop is not dead code */
    return rounds * 8;
}

const b4j_kernels b4j_kernels_ref = {
    .quantize_i8s = quantize_i8s_ref,
    .i2s_gemm = i2s_gemm_ref,
    .f16_gemm = f16_gemm_ref,
    .i8_gemm = i8_gemm_ref,
    .q4_gemm = q4_gemm_ref,
    .int8_mac_loop = int8_mac_loop_ref,
};

}  /* extern "C" */
