/* NEON kernels for baseline ARMv8-A (no dotprod). The I2_S layout is the canonical 128/32 one: a block's
 * 32 bytes are read as two 16-byte halves, so byte j of half h holds elements 16h+j, 32+16h+j, 64+16h+j,
 * 96+16h+j at bits 7..6, 5..4, 3..2, 1..0. */
#include <arm_neon.h>
#include <string.h>

#include "../internal.h"

/* Shared with neon_dotprod.cpp, hence external linkage; hidden like every symbol outside the B4J_API. */
extern "C" {
void b4j_neon_quantize_i8s(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum);
void b4j_neon_f16_gemm(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                       float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
}

namespace {

/* ---------------------------------------------------------------- quantize */

/* The reference's nearest_int (add 1.5*2^23, read the mantissa). Reusing the trick instead of vcvtnq keeps
 * the result identical to the reference for every input, NaN and Inf included. */
static inline int32_t nearest_int_scalar(float v) {
    float f = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

static inline int32x4_t nearest_clamp4(float32x4_t x, float32x4_t s) {
    float32x4_t f = vaddq_f32(vmulq_f32(x, s), vdupq_n_f32(12582912.0f));  /* separate mul, add: no FMA */
    int32x4_t i = vsubq_s32(vandq_s32(vreinterpretq_s32_f32(f), vdupq_n_s32(0x007fffff)), vdupq_n_s32(0x00400000));
    return vmaxq_s32(vminq_s32(i, vdupq_n_s32(127)), vdupq_n_s32(-128));
}

static void quantize_row(const float *x, int64_t n, int8_t *q, float *scale, int32_t *sum) {
    /* vmaxq_f32 would propagate NaN; compare-and-select mirrors the reference's `a > max`, which skips it */
    float32x4_t vmax = vdupq_n_f32(0.f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t a = vabsq_f32(vld1q_f32(x + i));
        vmax = vbslq_f32(vcgtq_f32(a, vmax), a, vmax);
    }
    float lanes[4];
    vst1q_f32(lanes, vmax);
    double max = 1e-5;
    for (int l = 0; l < 4; l++) if ((double)lanes[l] > max) max = lanes[l];
    for (int64_t j = i; j < n; j++) {
        double a = (double)(x[j] < 0 ? -x[j] : x[j]);
        if (a > max) max = a;
    }
    const float s = (float)(127.0 / max);
    const float32x4_t vs = vdupq_n_f32(s);

    int32x4_t vsum = vdupq_n_s32(0);
    i = 0;
    for (; i + 16 <= n; i += 16) {
        int32x4_t a = nearest_clamp4(vld1q_f32(x + i), vs), b = nearest_clamp4(vld1q_f32(x + i + 4), vs);
        int32x4_t c = nearest_clamp4(vld1q_f32(x + i + 8), vs), d = nearest_clamp4(vld1q_f32(x + i + 12), vs);
        vsum = vaddq_s32(vsum, vaddq_s32(vaddq_s32(a, b), vaddq_s32(c, d)));
        /* values are already in [-128, 127]: the saturating narrows are plain narrows here */
        int16x8_t ab = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
        int16x8_t cd = vcombine_s16(vqmovn_s32(c), vqmovn_s32(d));
        vst1q_s8(q + i, vcombine_s8(vqmovn_s16(ab), vqmovn_s16(cd)));
    }
    int32_t acc = vaddvq_s32(vsum);
    for (; i < n; i++) {
        int32_t v = nearest_int_scalar(x[i] * s);
        if (v > 127) v = 127;
        if (v < -128) v = -128;
        q[i] = (int8_t)v;
        acc += v;
    }
    *scale = s;
    *sum = acc;
}

/* ---------------------------------------------------------------- I2_S GEMM */

/* Blocks per int16 -> int32 widening. Each block adds 8 products to every int16 lane (two accumulators per
 * row/token pair, 8 vmull/vmlal each), |code*q| <= 256, so 2048 per block; 4 blocks reach 8192 < 32767
 * (12288 even with the invalid code 3). */
constexpr int64_t WIDEN_BLOCKS = 4;

#include "neon_codes.h"

template <int R, int N>
static inline void i2s_tile(const uint8_t *w, int64_t row_bytes, const int8_t *q, int64_t K, int32_t dot[R][N]) {
    const int64_t nb = K / B4J_I2S_BLOCK;
    int32x4_t acc32[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc32[r][n] = vdupq_n_s32(0);
    for (int64_t b0 = 0; b0 < nb; b0 += WIDEN_BLOCKS) {
        const int64_t b1 = b0 + WIDEN_BLOCKS < nb ? b0 + WIDEN_BLOCKS : nb;
        int16x8_t lo[R][N], hi[R][N];
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++) lo[r][n] = hi[r][n] = vdupq_n_s16(0);
        for (int64_t b = b0; b < b1; b++) {
            for (int h = 0; h < 2; h++) {
                uint8x16_t raw[R];
                for (int r = 0; r < R; r++) raw[r] = vld1q_u8(w + r * row_bytes + b * B4J_I2S_BLOCK_BYTES + 16 * h);
                for (int g = 0; g < 4; g++) {
                    int8x16_t c[R];
                    for (int r = 0; r < R; r++) c[r] = codes(raw[r], g);
                    for (int n = 0; n < N; n++) {
                        int8x16_t a = vld1q_s8(q + n * K + b * B4J_I2S_BLOCK + 32 * g + 16 * h);
                        for (int r = 0; r < R; r++) {
                            lo[r][n] = vmlal_s8(lo[r][n], vget_low_s8(c[r]), vget_low_s8(a));
                            hi[r][n] = vmlal_high_s8(hi[r][n], c[r], a);
                        }
                    }
                }
            }
        }
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++) acc32[r][n] = vpadalq_s16(vpadalq_s16(acc32[r][n], lo[r][n]), hi[r][n]);
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = vaddvq_s32(acc32[r][n]);
}

#include "../i2s_driver.h"

/* ---------------------------------------------------------------- F16 GEMM */

static inline float32x4_t h4(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

/* R rows x N tokens, U independent 4-wide accumulators each; half -> single conversion is baseline.
 * `next`: the R rows (contiguous) of a later tile, prefetched at this tile's pace, R lines per 32 elements
 * (U is 1, 2 or 4, so a step of 4 * U elements lands on every multiple of 32). */
template <int R, int N, int U>
static inline void f16_tile(const uint16_t *w, int64_t K, const uint16_t *x, float out[R][N],
                            const uint16_t *next = 0) {
    float32x4_t acc[R][N][U];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++)
            for (int u = 0; u < U; u++) acc[r][n][u] = vdupq_n_f32(0.f);
    int64_t k = 0;
    for (; k + 4 * U <= K; k += 4 * U) {
        if (next && (k & 31) == 0)
            for (int p = 0; p < R * 64; p += 64) __builtin_prefetch((const char *)next + R * 2 * k + p);
        for (int u = 0; u < U; u++) {
            float32x4_t xv[N];
            for (int n = 0; n < N; n++) xv[n] = h4(x + n * K + k + 4 * u);
            for (int r = 0; r < R; r++) {
                float32x4_t wv = h4(w + r * K + k + 4 * u);
                for (int n = 0; n < N; n++) acc[r][n][u] = vfmaq_f32(acc[r][n][u], wv, xv[n]);
            }
        }
    }
    for (; k + 4 <= K; k += 4)
        for (int r = 0; r < R; r++) {
            float32x4_t wv = h4(w + r * K + k);
            for (int n = 0; n < N; n++) acc[r][n][0] = vfmaq_f32(acc[r][n][0], wv, h4(x + n * K + k));
        }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) {
            float32x4_t s = acc[r][n][0];
            for (int u = 1; u < U; u++) s = vaddq_f32(s, acc[r][n][u]);
            float v = vaddvq_f32(s);
            for (int64_t j = k; j < K; j++)  /* K tail, < 4 elements */
                v += b4j_ref_f16_to_f32(w[r * K + j]) * b4j_ref_f16_to_f32(x[n * K + j]);
            out[r][n] = v;
        }
}

#include "../f16_driver.h"

/* ---------------------------------------------------------------- I8 GEMM */

/* Exact int8 x int8 dots on baseline NEON: vmull_s8 (low 8 bytes) then vmlal_high_s8 (high 8 bytes) leave
 * each int16 lane with the sum of two products. |x| <= 128 and |w| <= 127 (codes are symmetric), so a
 * product is at most 16256 and two at most 32512 <= 32767: no wrap. vpadalq_s16 then folds the lane pairs
 * into int32 straight away (a third product could overflow). The K tail (< 16) is scalar: integer sums, so
 * bit-exact in any order. Scalar reference: i8_gemm_ref in ref/kernels_ref.cpp. */
template <int R, int N>
static inline void i8_tile(const int8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N], const int8_t *next) {
    int32x4_t acc[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n] = vdupq_n_s32(0);
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
        /* the next tile's rows, one tile ahead; R*16 bytes per step keeps pace with this tile */
        if (next && (k & 63) == 0)
            for (int p = 0; p < R * 64; p += 64) __builtin_prefetch(next + R * k + p);
        int8x16_t wv[R];
        for (int r = 0; r < R; r++) wv[r] = vld1q_s8(w + r * K + k);
        for (int n = 0; n < N; n++) {
            const int8x16_t xv = vld1q_s8(x + n * K + k);
            for (int r = 0; r < R; r++) {
                int16x8_t p = vmull_s8(vget_low_s8(wv[r]), vget_low_s8(xv));
                p = vmlal_high_s8(p, wv[r], xv);
                acc[r][n] = vpadalq_s16(acc[r][n], p);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) {
            int32_t s = vaddvq_s32(acc[r][n]);
            for (int64_t j = k; j < K; j++) s += (int32_t)w[r * K + j] * (int32_t)x[n * K + j];
            dot[r][n] = s;
        }
}

#include "../i8_driver.h"

/* ---------------------------------------------------------------- Q4 GEMM */

/* Exact sums of nibble * activation on baseline NEON: vmull_s8 / vmlal_high_s8 add products of a nibble
 * (0..15, every value, including those the packer never writes) and an int8 activation, each in
 * [-1920, 1905], into int16 lanes; 16 products stay in [-30720, 30480] (a 17th is still fine, an 18th could
 * wrap), then vpadalq_s16 widens to int32. With A accumulators per row/token pair (A = 2: low-nibble and
 * high-nibble products apart, for more independent chains when the tile is small) a group adds 8 / A products
 * to each int16 lane, so the widening comes every 2A groups. `next`: the following tile's rows, R*32 bytes per
 * group as this tile consumes them. Scalar reference: q4_gemm_ref in ref/kernels_ref.cpp. */
template <int R, int N>
static inline void q4_tile(const uint8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N], const uint8_t *next) {
    constexpr int A = R * N >= 8 ? 1 : 2;
    constexpr int64_t WIDEN = 2 * A;
    const int64_t row_bytes = K / 2, ng = K / B4J_Q4_GROUP;
    int32x4_t acc32[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc32[r][n] = vdupq_n_s32(0);
    for (int64_t g0 = 0; g0 < ng; g0 += WIDEN) {
        const int64_t g1 = g0 + WIDEN < ng ? g0 + WIDEN : ng;
        int16x8_t acc16[R][N][A];
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++)
                for (int a = 0; a < A; a++) acc16[r][n][a] = vdupq_n_s16(0);
        for (int64_t g = g0; g < g1; g++) {
            if (next)
                for (int p = 0; p < R * 32; p += 64) __builtin_prefetch(next + R * 32 * g + p);
            for (int h = 0; h < 2; h++) {
                int8x16_t lo[R], hi[R];
                for (int r = 0; r < R; r++) q4_unpack(w + r * row_bytes + 32 * g + 16 * h, lo[r], hi[r]);
                for (int n = 0; n < N; n++) {
                    const int8_t *xg = x + n * K + B4J_Q4_GROUP * g + 16 * h;
                    const int8x16_t alo = vld1q_s8(xg), ahi = vld1q_s8(xg + 32);
                    for (int r = 0; r < R; r++) {
                        int16x8_t &l = acc16[r][n][0], &u = acc16[r][n][A - 1];
                        l = vmlal_s8(l, vget_low_s8(lo[r]), vget_low_s8(alo));
                        l = vmlal_high_s8(l, lo[r], alo);
                        u = vmlal_s8(u, vget_low_s8(hi[r]), vget_low_s8(ahi));
                        u = vmlal_high_s8(u, hi[r], ahi);
                    }
                }
            }
        }
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++)
                for (int a = 0; a < A; a++) acc32[r][n] = vpadalq_s16(acc32[r][n], acc16[r][n][a]);
    }
    /* |sum| <= 15 * 128 * 65536 < 2^31 */
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = vaddvq_s32(acc32[r][n]);
}

#include "../q4_driver.h"

static void q4_gemm(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* batches: 2 rows x 4 tokens, one int16 accumulator per pair (8 chains already), fit the 32 registers */
    q4_gemm_rows<2>(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
}

static void i8_gemm(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* batches: 2 rows x 4 tokens of accumulators fit the 32 NEON registers */
    i8_gemm_rows<2>(w, w_scales, K, q, act_scale, T, y, ldy, m_begin, m_end);
}

/* ---------------------------------------------------------------- int8 MAC ceiling */

/* 8 independent smlal chains (8 MACs each; the I2_S tile alternates the low and high halves) with operands
 * in registers: the ceiling of the baseline NEON GEMMs. */
static int64_t int8_mac_loop(int64_t rounds) {
    int8x16_t c = vdupq_n_s8(2), a = vdupq_n_s8(-7);
    __asm__("" : "+w"(c), "+w"(a));
    /* named accumulators: GCC keeps an array of them in memory */
    int16x8_t a0 = vdupq_n_s16(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    const int8x8_t cl = vget_low_s8(c), al = vget_low_s8(a);
    for (int64_t i = 0; i < rounds; i++) {
        a0 = vmlal_s8(a0, cl, al); a1 = vmlal_high_s8(a1, c, a);
        a2 = vmlal_s8(a2, cl, al); a3 = vmlal_high_s8(a3, c, a);
        a4 = vmlal_s8(a4, cl, al); a5 = vmlal_high_s8(a5, c, a);
        a6 = vmlal_s8(a6, cl, al); a7 = vmlal_high_s8(a7, c, a);
        __asm__("" : "+w"(a0), "+w"(a1), "+w"(a2), "+w"(a3), "+w"(a4), "+w"(a5), "+w"(a6), "+w"(a7));
    }
    int16x8_t s = vaddq_s16(vaddq_s16(vaddq_s16(a0, a1), vaddq_s16(a2, a3)), vaddq_s16(vaddq_s16(a4, a5), vaddq_s16(a6, a7)));
    __asm__ volatile("" : : "w"(s)); /* the sums are used: the loop is not dead code */
    return rounds * 8 * 8;
}

}  // namespace

extern "C" {

void b4j_neon_quantize_i8s(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum) {
    for (int64_t r = 0; r < rows; r++) quantize_row(x + r * n, n, q + r * n, scale + r, sum + r);
}

void b4j_neon_f16_gemm(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                       float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    f16_gemm_rows(w, K, x, T, y, ldy, m_begin, m_end);
}

extern const b4j_kernels b4j_kernels_neon = {
    .quantize_i8s = b4j_neon_quantize_i8s,
    .i2s_gemm = i2s_gemm,
    .f16_gemm = b4j_neon_f16_gemm,
    .i8_gemm = i8_gemm,
    .q4_gemm = q4_gemm,
    .int8_mac_loop = int8_mac_loop,
};

}  /* extern "C" */
