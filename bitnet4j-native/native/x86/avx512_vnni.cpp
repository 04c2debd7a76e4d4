/* AVX-512 VNNI kernels (F + BW + VL + VNNI). I2_S, I8 and Q4 have their own kernels. I2_S: vpdpbusd multiplies unsigned
 * codes by signed int8 activations and adds groups of 4 straight into int32 lanes, with no int16 stage
 * and no saturation, so the dot is exact by construction. Quantize and F16 reuse the AVX2 kernels (every
 * AVX-512 VNNI CPU has AVX2+FMA+F16C; those two are load/convert bound, 512-bit buys little). */
/* GCC 12's AVX-512 headers build broadcasts/reductions from _mm512_undefined_*() and then warn about it */
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "../internal.h"

extern "C" {
void b4j_avx2_quantize_i8s(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum);
void b4j_avx2_f16_gemm(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                       float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
}

namespace {

/* R weight rows x N tokens, one 128-element block per step. The block's 32 bytes are broadcast to both
 * 256-bit halves of a zmm; shifting the halves by 6|4 gives codes for elements 0-31|32-63 and by 2|0 for
 * 64-95|96-127, which lines up with two plain 64-byte activation loads. */
template <int R, int N>
static inline void i2s_tile(const uint8_t *w, int64_t row_bytes, const int8_t *q, int64_t K, int32_t dot[R][N]) {
    const __m512i mask = _mm512_set1_epi8(3);
    const __m512i sh01 = _mm512_inserti64x4(_mm512_set1_epi16(6), _mm256_set1_epi16(4), 1);
    const __m512i sh23 = _mm512_inserti64x4(_mm512_set1_epi16(2), _mm256_set1_epi16(0), 1);
    const int64_t nb = K / B4J_I2S_BLOCK;
    __m512i acc[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n] = _mm512_setzero_si512();
    for (int64_t b = 0; b < nb; b++) {
        __m512i c01[R], c23[R];
        for (int r = 0; r < R; r++) {
            __m512i raw = _mm512_broadcast_i64x4(
                _mm256_loadu_si256((const __m256i *)(w + r * row_bytes + b * B4J_I2S_BLOCK_BYTES)));
            /* 16-bit shifts are fine: the mask drops the bits shifted in from the neighbouring byte */
            c01[r] = _mm512_and_si512(_mm512_srlv_epi16(raw, sh01), mask);
            c23[r] = _mm512_and_si512(_mm512_srlv_epi16(raw, sh23), mask);
        }
        for (int n = 0; n < N; n++) {
            const int8_t *qb = q + n * K + b * B4J_I2S_BLOCK;
            __m512i a01 = _mm512_loadu_si512((const void *)qb);
            __m512i a23 = _mm512_loadu_si512((const void *)(qb + 64));
            for (int r = 0; r < R; r++) {
                /* first multiplicand unsigned (codes 0..2), second signed (activations) */
                acc[r][n] = _mm512_dpbusd_epi32(acc[r][n], c01[r], a01);
                acc[r][n] = _mm512_dpbusd_epi32(acc[r][n], c23[r], a23);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = _mm512_reduce_add_epi32(acc[r][n]);
}

#include "../i2s_driver.h"

/* ---------------------------------------------------------------- I8 GEMM */

/* Exact int8 x int8 dots with vpdpbusd, which multiplies unsigned by signed bytes and adds groups of 4 into
 * int32 lanes without saturation: feed it |x| (|-128| = 0x80 reads as 128) and w negated where x < 0. w is
 * never -128 (symmetric I8 codes), so the negation cannot wrap; each product is exactly x * w. AVX-512 has no
 * byte sign(), so the negation is a masked subtract from zero with the sign bits of x as the mask (x == 0
 * needs no zeroing: |x| is 0 there). The K tail uses masked loads: zeroed bytes add 0. The scalar reference is
 * i8_gemm_ref in ref/kernels_ref.cpp. `next`: the following tile's rows, prefetched one tile ahead. */
template <int R, int N>
static inline void i8_tile(const int8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N], const int8_t *next) {
    const __m512i zero = _mm512_setzero_si512();
    __m512i acc[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n] = _mm512_setzero_si512();
    for (int64_t k = 0; k < K; k += 64) {
        const __mmask64 lanes = K - k >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (K - k)) - 1);
        if (next)
            for (int p = 0; p < R * 64; p += 64) _mm_prefetch((const char *)(next + R * k + p), _MM_HINT_T0);
        __m512i wv[R];
        for (int r = 0; r < R; r++) wv[r] = _mm512_maskz_loadu_epi8(lanes, w + r * K + k);
        for (int n = 0; n < N; n++) {
            const __m512i xv = _mm512_maskz_loadu_epi8(lanes, x + n * K + k);
            const __m512i ax = _mm512_abs_epi8(xv);
            const __mmask64 neg = _mm512_movepi8_mask(xv);
            for (int r = 0; r < R; r++)
                acc[r][n] = _mm512_dpbusd_epi32(acc[r][n], ax, _mm512_mask_sub_epi8(wv[r], neg, zero, wv[r]));
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = _mm512_reduce_add_epi32(acc[r][n]);
}

#include "../i8_driver.h"

static void i8_gemm(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* 4 rows x 4 tokens = 16 accumulators fit the 32 zmm registers comfortably */
    i8_gemm_rows<4>(w, w_scales, K, q, act_scale, T, y, ldy, m_begin, m_end);
}

/* ---------------------------------------------------------------- Q4 GEMM */

/* R rows x N tokens, one 64-element group per step. The group's 32 bytes are broadcast to both 256-bit halves
 * of a zmm; shifting the halves right by 0 | 4 and masking gives the nibbles of elements 0..31 | 32..63, which
 * lines up with one plain 64-byte activation load. vpdpbusd multiplies the unsigned nibbles (every value 0..15
 * exact) by the signed activations and adds groups of 4 into int32 lanes with no int16 stage and no
 * saturation; |sum| <= 15 * 128 * 65536 < 2^31. `next`: the following tile's rows, R*32 bytes per group.
 * Scalar reference: q4_gemm_ref in ref/kernels_ref.cpp. */
template <int R, int N>
static inline void q4_tile(const uint8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N], const uint8_t *next) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(4), 1);
    const int64_t row_bytes = K / 2, ng = K / B4J_Q4_GROUP;
    __m512i acc[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n] = _mm512_setzero_si512();
    for (int64_t g = 0; g < ng; g++) {
        if (next)
            for (int p = 0; p < R * 32; p += 64) _mm_prefetch((const char *)(next + R * 32 * g + p), _MM_HINT_T0);
        __m512i nib[R];
        for (int r = 0; r < R; r++) {
            const __m512i raw =
                _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w + r * row_bytes + 32 * g)));
            /* 16-bit shifts are fine: the mask drops the bits shifted in from the neighbouring byte */
            nib[r] = _mm512_and_si512(_mm512_srlv_epi16(raw, shift), low4);
        }
        for (int n = 0; n < N; n++) {
            const __m512i a = _mm512_loadu_si512((const void *)(x + n * K + B4J_Q4_GROUP * g));
            for (int r = 0; r < R; r++) acc[r][n] = _mm512_dpbusd_epi32(acc[r][n], nib[r], a);
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = _mm512_reduce_add_epi32(acc[r][n]);
}

#include "../q4_driver.h"

static void q4_gemm(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* 4 rows x 4 tokens = 16 accumulators fit the 32 zmm registers comfortably */
    q4_gemm_rows<4>(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
}

/* ---------------------------------------------------------------- int8 MAC ceiling */

/* 12 independent vpdpbusd chains (64 MACs each) with operands in registers: enough to cover its latency at two
 * per cycle (Zen 5's 512-bit pipes); the ceiling of the VNNI GEMMs. */
#ifndef B4J_KEEP512 /* the emulation test keeps its stand-in type in memory instead */
#define B4J_KEEP512(v) __asm__("" : "+v"(v))
#define B4J_USE512(v) __asm__ volatile("" : : "v"(v)) /* the sums are used: the loop is not dead code */
#endif
#define B4J_DPBUSD_STEP(acc) acc = _mm512_dpbusd_epi32(acc, c, a); B4J_KEEP512(acc);
static int64_t int8_mac_loop(int64_t rounds) {
    __m512i c = _mm512_set1_epi8(2), a = _mm512_set1_epi8(-7);
    B4J_KEEP512(c);
    B4J_KEEP512(a);
    /* named accumulators: GCC keeps an array of them in memory here */
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,
            a9 = a0, a10 = a0, a11 = a0;
    for (int64_t i = 0; i < rounds; i++) {
        B4J_DPBUSD_STEP(a0) B4J_DPBUSD_STEP(a1) B4J_DPBUSD_STEP(a2) B4J_DPBUSD_STEP(a3)
        B4J_DPBUSD_STEP(a4) B4J_DPBUSD_STEP(a5) B4J_DPBUSD_STEP(a6) B4J_DPBUSD_STEP(a7)
        B4J_DPBUSD_STEP(a8) B4J_DPBUSD_STEP(a9) B4J_DPBUSD_STEP(a10) B4J_DPBUSD_STEP(a11)
    }
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                 _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)));
    B4J_USE512(s);
    return rounds * 12 * 64;
}

}  // namespace

extern "C" const b4j_kernels b4j_kernels_avx512_vnni = {
    .quantize_i8s = b4j_avx2_quantize_i8s,
    .i2s_gemm = i2s_gemm,
    .f16_gemm = b4j_avx2_f16_gemm,
    .i8_gemm = i8_gemm,
    .q4_gemm = q4_gemm,
    .int8_mac_loop = int8_mac_loop,
};
