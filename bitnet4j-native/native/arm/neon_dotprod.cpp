/* NEON + dotprod (ARMv8.2 SDOT) kernels; compiled with -march=armv8.2-a+dotprod+fp16 and only called when
 * HWCAP_ASIMDDP is set. SDOT adds groups of 4 int8 products straight into int32 lanes, so the dot is exact
 * with no int16 stage. Codes (0..2) are valid signed bytes, so the signed form is used. Quantize and F16
 * reuse the baseline NEON kernels, which this ISA extension does not speed up. Canonical 128/32 layout, read
 * as two 16-byte halves: byte j of half h holds elements 16h+j, 32+16h+j, 64+16h+j, 96+16h+j. */
#include <arm_neon.h>

#include "../internal.h"

extern "C" {
void b4j_neon_quantize_i8s(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum);
void b4j_neon_f16_gemm(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                       float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
}

namespace {

#include "neon_codes.h"

template <int R, int N>
static inline void i2s_tile(const uint8_t *w, int64_t row_bytes, const int8_t *q, int64_t K, int32_t dot[R][N]) {
    const int64_t nb = K / B4J_I2S_BLOCK;
    /* two accumulators per pair (one per 16-byte half) to shorten the SDOT dependency chains */
    int32x4_t acc[R][N][2];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n][0] = acc[r][n][1] = vdupq_n_s32(0);
    for (int64_t b = 0; b < nb; b++) {
        for (int h = 0; h < 2; h++) {
            uint8x16_t raw[R];
            for (int r = 0; r < R; r++) raw[r] = vld1q_u8(w + r * row_bytes + b * B4J_I2S_BLOCK_BYTES + 16 * h);
            for (int g = 0; g < 4; g++) {
                int8x16_t c[R];
                for (int r = 0; r < R; r++) c[r] = codes(raw[r], g);
                for (int n = 0; n < N; n++) {
                    int8x16_t a = vld1q_s8(q + n * K + b * B4J_I2S_BLOCK + 32 * g + 16 * h);
                    for (int r = 0; r < R; r++) acc[r][n][h] = vdotq_s32(acc[r][n][h], c[r], a);
                }
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = vaddvq_s32(vaddq_s32(acc[r][n][0], acc[r][n][1]));
}

#include "../i2s_driver.h"

/* ---------------------------------------------------------------- I8 GEMM */

/* SDOT multiplies signed by signed bytes and adds groups of 4 into int32 lanes: exact for I8 codes and I8_S
 * activations with no sign trick and no int16 stage. Two accumulators per row/token pair (even/odd 16-byte
 * steps) shorten the SDOT dependency chains. K tail (< 32) scalar. Reference: i8_gemm_ref. */
template <int R, int N>
static inline void i8_tile(const int8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N], const int8_t *next) {
    int32x4_t acc[R][N][2];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n][0] = acc[r][n][1] = vdupq_n_s32(0);
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
        if (next && (k & 63) == 0)  /* the next tile's rows, one tile ahead */
            for (int p = 0; p < R * 64; p += 64) __builtin_prefetch(next + R * k + p);
        for (int h = 0; h < 2; h++) {
            int8x16_t wv[R];
            for (int r = 0; r < R; r++) wv[r] = vld1q_s8(w + r * K + k + 16 * h);
            for (int n = 0; n < N; n++) {
                const int8x16_t xv = vld1q_s8(x + n * K + k + 16 * h);
                for (int r = 0; r < R; r++) acc[r][n][h] = vdotq_s32(acc[r][n][h], wv[r], xv);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) {
            int32_t s = vaddvq_s32(vaddq_s32(acc[r][n][0], acc[r][n][1]));
            for (int64_t j = k; j < K; j++) s += (int32_t)w[r * K + j] * (int32_t)x[n * K + j];
            dot[r][n] = s;
        }
}

#include "../i8_driver.h"

/* ---------------------------------------------------------------- Q4 GEMM */

/* Exact sums of nibble * activation: SDOT adds 4 products straight into int32 lanes (|sum| <= 15 * 128 *
 * 65536 < 2^31), with no int16 stage. Two accumulators per row/token pair (low-nibble and high-nibble
 * products) shorten the dependency chains. `next`: the following tile's rows, R*32 bytes per group.
 * Reference: q4_gemm_ref. */
template <int R, int N>
static inline void q4_tile(const uint8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N], const uint8_t *next) {
    const int64_t row_bytes = K / 2, ng = K / B4J_Q4_GROUP;
    int32x4_t acc[R][N][2];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n][0] = acc[r][n][1] = vdupq_n_s32(0);
    for (int64_t g = 0; g < ng; g++) {
        if (next)
            for (int p = 0; p < R * 32; p += 64) __builtin_prefetch(next + R * 32 * g + p);
        for (int h = 0; h < 2; h++) {
            int8x16_t lo[R], hi[R];
            for (int r = 0; r < R; r++) q4_unpack(w + r * row_bytes + 32 * g + 16 * h, lo[r], hi[r]);
            for (int n = 0; n < N; n++) {
                const int8_t *xg = x + n * K + B4J_Q4_GROUP * g + 16 * h;
                const int8x16_t alo = vld1q_s8(xg), ahi = vld1q_s8(xg + 32);
                for (int r = 0; r < R; r++) {
                    acc[r][n][0] = vdotq_s32(acc[r][n][0], lo[r], alo);
                    acc[r][n][1] = vdotq_s32(acc[r][n][1], hi[r], ahi);
                }
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = vaddvq_s32(vaddq_s32(acc[r][n][0], acc[r][n][1]));
}

#include "../q4_driver.h"

static void q4_gemm(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* batches: 2 rows x 4 tokens x 2 accumulators = 16 of the 32 registers */
    q4_gemm_rows<2>(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
}

static void i8_gemm(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* batches: 2 rows x 4 tokens of accumulators fit the 32 NEON registers */
    i8_gemm_rows<2>(w, w_scales, K, q, act_scale, T, y, ldy, m_begin, m_end);
}

/* ---------------------------------------------------------------- int8 MAC ceiling */

/* 8 independent sdot chains (16 MACs each) with operands in registers: the ceiling of the dotprod GEMMs. */
static int64_t int8_mac_loop(int64_t rounds) {
    int8x16_t c = vdupq_n_s8(2), a = vdupq_n_s8(-7);
    __asm__("" : "+w"(c), "+w"(a));
    /* named accumulators: GCC keeps an array of them in memory */
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int64_t i = 0; i < rounds; i++) {
        a0 = vdotq_s32(a0, c, a); a1 = vdotq_s32(a1, c, a); a2 = vdotq_s32(a2, c, a); a3 = vdotq_s32(a3, c, a);
        a4 = vdotq_s32(a4, c, a); a5 = vdotq_s32(a5, c, a); a6 = vdotq_s32(a6, c, a); a7 = vdotq_s32(a7, c, a);
        __asm__("" : "+w"(a0), "+w"(a1), "+w"(a2), "+w"(a3), "+w"(a4), "+w"(a5), "+w"(a6), "+w"(a7));
    }
    int32x4_t s = vaddq_s32(vaddq_s32(vaddq_s32(a0, a1), vaddq_s32(a2, a3)), vaddq_s32(vaddq_s32(a4, a5), vaddq_s32(a6, a7)));
    __asm__ volatile("" : : "w"(s)); /* the sums are used: the loop is not dead code */
    return rounds * 8 * 16;
}

}  // namespace

extern "C" const b4j_kernels b4j_kernels_neon_dotprod = {
    .quantize_i8s = b4j_neon_quantize_i8s,
    .i2s_gemm = i2s_gemm,
    .f16_gemm = b4j_neon_f16_gemm,
    .i8_gemm = i8_gemm,
    .q4_gemm = q4_gemm,
    .int8_mac_loop = int8_mac_loop,
};
