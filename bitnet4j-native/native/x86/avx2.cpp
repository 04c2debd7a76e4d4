/* AVX2 + FMA + F16C kernels. Compiled with -mavx2 -mfma -mf16c; only called when the CPU has all three. */
#include <immintrin.h>
#include <string.h>

#include "../internal.h"

/* Shared with avx512_vnni.cpp (an AVX-512 CPU has AVX2), hence external linkage; hidden like every symbol
 * outside the B4J_API (the library is built with -fvisibility=hidden). */
extern "C" {
void b4j_avx2_quantize_i8s(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum);
void b4j_avx2_f16_gemm(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                       float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
void b4j_avx2_i8_gemm(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                      const float *act_scale, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
}

namespace {

/* ---------------------------------------------------------------- quantize */

/* The reference's nearest_int, lane-wise: add 1.5*2^23, take the low mantissa bits. Using the same trick
 * (instead of round_ps) keeps results identical even for NaN/Inf inputs, where the trick yields garbage
 * that the reference then clamps. */
static inline int32_t nearest_int_scalar(float v) {
    float f = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

static inline __m256i nearest_clamp8(__m256 x, __m256 s) {
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 f = _mm256_add_ps(_mm256_mul_ps(x, s), magic);  /* separate mul and add, as the reference */
    __m256i i = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(f), _mm256_set1_epi32(0x007fffff)),
                                 _mm256_set1_epi32(0x00400000));
    i = _mm256_min_epi32(i, _mm256_set1_epi32(127));
    return _mm256_max_epi32(i, _mm256_set1_epi32(-128));
}

static inline int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static void quantize_row(const float *x, int64_t n, int8_t *q, float *scale, int32_t *sum) {
    /* max|x| in float equals the reference's double max (widening is monotone). max_ps(a, m) returns m when
     * a is NaN, so NaNs are skipped exactly like the reference's `a > max`. */
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 vmax = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), absmask), vmax);
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    double max = 1e-5;
    for (int l = 0; l < 8; l++) if ((double)lanes[l] > max) max = lanes[l];
    for (int64_t j = i; j < n; j++) {
        double a = (double)(x[j] < 0 ? -x[j] : x[j]);
        if (a > max) max = a;
    }
    const float s = (float)(127.0 / max);
    const __m256 vs = _mm256_set1_ps(s);

    __m256i vsum = _mm256_setzero_si256();
    i = 0;
    /* 32 at a time: two saturating packs, then fix the lane interleave of the 256-bit packs */
    for (; i + 32 <= n; i += 32) {
        __m256i a = nearest_clamp8(_mm256_loadu_ps(x + i), vs);
        __m256i b = nearest_clamp8(_mm256_loadu_ps(x + i + 8), vs);
        __m256i c = nearest_clamp8(_mm256_loadu_ps(x + i + 16), vs);
        __m256i d = nearest_clamp8(_mm256_loadu_ps(x + i + 24), vs);
        vsum = _mm256_add_epi32(vsum, _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d)));
        __m256i ab = _mm256_packs_epi32(a, b);  /* a0-3 b0-3 | a4-7 b4-7 */
        __m256i cd = _mm256_packs_epi32(c, d);
        __m256i abcd = _mm256_packs_epi16(ab, cd); /* a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7 */
        abcd = _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + i), abcd);
    }
    for (; i + 8 <= n; i += 8) {
        __m256i a = nearest_clamp8(_mm256_loadu_ps(x + i), vs);
        vsum = _mm256_add_epi32(vsum, a);
        int32_t t[8];
        _mm256_storeu_si256((__m256i *)t, a);
        for (int l = 0; l < 8; l++) q[i + l] = (int8_t)t[l];
    }
    int32_t acc = hsum_epi32(vsum);
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

/* Blocks between int16 -> int32 widenings. Per block an int16 lane gets 4 maddubs pair sums of at most
 * |2*(-128)|*2 = 512, i.e. 2048; 8 blocks reach 16384 < 32767, so no wrap for any input (even the invalid
 * code 3 only reaches 8 * 4 * 768 = 24576). maddubs itself never saturates: |pair| <= 768. */
constexpr int64_t WIDEN_BLOCKS = 8;

/* Makes GCC hold v in a register at this point; emits no instruction. In the tiles it keeps one load of an
 * activation vector for all rows (unconstrained, GCC folds a load into every row's maddubs). */
#define B4J_KEEP(v) __asm__("" : "+x"(v))

/* acc += maddubs(c, a), written as the two instructions so the sum stays in acc's register: from the
 * intrinsics, GCC 12 computes each sum in a new register and copies it back, 8 extra moves per 8 products,
 * which fill the front end of a loop that is otherwise all maddubs and adds. */
static inline void maddubs_accumulate(__m256i &acc, __m256i c, __m256i a) {
    __m256i t;
    __asm__("vpmaddubsw %[a], %[c], %[t]\n\tvpaddw %[t], %[acc], %[acc]"
            : [acc] "+x"(acc), [t] "=&x"(t) : [c] "x"(c), [a] "x"(a));
}

/* R weight rows x N tokens over blocks [b_begin, b_end): the codes of each row are unpacked once per
 * 32-element group and reused for all N tokens; each activation vector is reused for all R rows.
 * dot[r][n] += the exact int32 partial dots. */
template <int R, int N>
static inline void i2s_tile(const uint8_t *w, int64_t row_bytes, const int8_t *q, int64_t K,
                            int64_t b_begin, int64_t b_end, int32_t (*dot)[N], const uint8_t *next = 0) {
    const __m256i mask = _mm256_set1_epi8(3);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc32[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc32[r][n] = _mm256_setzero_si256();
    for (int64_t b0 = b_begin; b0 < b_end; b0 += WIDEN_BLOCKS) {
        const int64_t b1 = b0 + WIDEN_BLOCKS < b_end ? b0 + WIDEN_BLOCKS : b_end;
        __m256i acc16[R][N];
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++) acc16[r][n] = _mm256_setzero_si256();
        for (int64_t b = b0; b < b1; b++) {
            __m256i raw[R];
            for (int r = 0; r < R; r++)
                raw[r] = _mm256_loadu_si256((const __m256i *)(w + r * row_bytes + b * B4J_I2S_BLOCK_BYTES));
            /* Decode streams weights from DRAM through 4 KiB pages, where hardware prefetch streams stop:
             * fetch the next tile's bytes (R blocks' worth per block) while this one computes. */
            if (next)
                for (int r = 0; r < R; r += 2) _mm_prefetch((const char *)(next + ((b - b_begin) * R + r) * B4J_I2S_BLOCK_BYTES), _MM_HINT_T0);
            const int8_t *qb = q + b * B4J_I2S_BLOCK;
            /* group g = elements 32g..32g+31 of the block, stored at bits 7-2g..6-2g of each byte; a 16-bit
             * shift is fine because the mask drops the bits shifted in from the neighbouring byte */
            for (int g = 0; g < 4; g++) {
                __m256i c[R];
                for (int r = 0; r < R; r++)
                    c[r] = _mm256_and_si256(_mm256_srli_epi16(raw[r], 6 - 2 * g), mask);
                for (int n = 0; n < N; n++) {
                    __m256i a = _mm256_loadu_si256((const __m256i *)(qb + n * K + 32 * g));
                    if (R > 1) B4J_KEEP(a);  /* one load for all R rows, not a folded load per row */
                    for (int r = 0; r < R; r++) maddubs_accumulate(acc16[r][n], c[r], a);
                }
            }
        }
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++)
                acc32[r][n] = _mm256_add_epi32(acc32[r][n], _mm256_madd_epi16(acc16[r][n], ones));
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] += hsum_epi32(acc32[r][n]);
}

/* Prefill and batched decoding: 2 rows x 4 tokens tiles over ROW_BLOCK rows x K_CHUNK blocks, so a K chunk of 4
 * tokens' activations (16 KiB) stays in L1 while the block's rows pass over it and the block's weights stay in
 * L2. Decoding the codes once per row block into a byte buffer instead (so the tiles only load them) measured
 * slower on Zen 3 at 8 to 128 tokens: 98-116 against 116-125 GMAC/s per core. */
constexpr int64_t ROW_BLOCK = 64;
constexpr int64_t K_CHUNK = 32;

template <int N>
static void i2s_prefill(const uint8_t *w, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                        const int32_t *act_sum, int64_t t0, float *y, int64_t ldy, int64_t m0, int64_t m1) {
    const int64_t row_bytes = K / 4, nb = K / B4J_I2S_BLOCK;
    int32_t dot[ROW_BLOCK][N];
    memset(dot, 0, sizeof dot);
    const int8_t *qt = q + t0 * K;
    for (int64_t kb = 0; kb < nb; kb += K_CHUNK) {
        const int64_t ke = kb + K_CHUNK < nb ? kb + K_CHUNK : nb;
        int64_t m = m0;
        for (; m + 2 <= m1; m += 2) i2s_tile<2, N>(w + m * row_bytes, row_bytes, qt, K, kb, ke, dot + (m - m0));
        for (; m < m1; m++) i2s_tile<1, N>(w + m * row_bytes, row_bytes, qt, K, kb, ke, dot + (m - m0));
    }
    for (int n = 0; n < N; n++)
        for (int64_t m = m0; m < m1; m++)
            y[(t0 + n) * ldy + m] = b4j_epilogue(dot[m - m0][n], act_sum[t0 + n], act_scale[t0 + n], w_scale);
}

static void i2s_gemm(const uint8_t *w, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                     const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (T <= 0) return;
    const int64_t row_bytes = K / 4, nb = K / B4J_I2S_BLOCK;
    if (T == 1) {
        /* GEMV: 4 rows share each activation load and give 4 independent dependency chains */
        int64_t m = m_begin;
        for (; m + 4 <= m_end; m += 4) {
            int32_t dot[4][1] = {{0}, {0}, {0}, {0}};
            const uint8_t *next = m + 12 <= m_end ? w + (m + 8) * row_bytes : 0;
            i2s_tile<4, 1>(w + m * row_bytes, row_bytes, q, K, 0, nb, dot, next);
            for (int r = 0; r < 4; r++) y[m + r] = b4j_epilogue(dot[r][0], act_sum[0], act_scale[0], w_scale);
        }
        for (; m < m_end; m++) {
            int32_t dot[1][1] = {{0}};
            i2s_tile<1, 1>(w + m * row_bytes, row_bytes, q, K, 0, nb, dot);
            y[m] = b4j_epilogue(dot[0][0], act_sum[0], act_scale[0], w_scale);
        }
        return;
    }
    for (int64_t m0 = m_begin; m0 < m_end; m0 += ROW_BLOCK) {
        const int64_t m1 = m0 + ROW_BLOCK < m_end ? m0 + ROW_BLOCK : m_end;
        int64_t t = 0;
        for (; t + 4 <= T; t += 4) i2s_prefill<4>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m0, m1);
        switch (T - t) {
            case 3: i2s_prefill<3>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m0, m1); break;
            case 2: i2s_prefill<2>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m0, m1); break;
            case 1: i2s_prefill<1>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m0, m1); break;
            default: break;
        }
    }
}

/* ---------------------------------------------------------------- F16 GEMM */

/* R rows x N tokens, U independent 8-wide accumulators per pair so the FMA latency is hidden. */
template <int R, int N, int U>
static inline void f16_tile(const uint16_t *w, int64_t K, const uint16_t *x, float out[R][N], const uint16_t *next = 0) {
    __m256 acc[R][N][U];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++)
            for (int u = 0; u < U; u++) acc[r][n][u] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 8 * U <= K; k += 8 * U) {
        if (next) /* the next R rows, R * 16 * U bytes per step: one tile ahead, as in the I2_S GEMV */
            for (int64_t p = 0; p < R * 16 * U; p += 64) _mm_prefetch((const char *)next + R * 2 * k + p, _MM_HINT_T0);
        for (int u = 0; u < U; u++) {
            __m256 xv[N];
            for (int n = 0; n < N; n++)
                xv[n] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + n * K + k + 8 * u)));
            for (int r = 0; r < R; r++) {
                __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + r * K + k + 8 * u)));
                for (int n = 0; n < N; n++) acc[r][n][u] = _mm256_fmadd_ps(wv, xv[n], acc[r][n][u]);
            }
        }
    }
    for (; k + 8 <= K; k += 8) {
        for (int r = 0; r < R; r++) {
            __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + r * K + k)));
            for (int n = 0; n < N; n++) {
                __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + n * K + k)));
                acc[r][n][0] = _mm256_fmadd_ps(wv, xv, acc[r][n][0]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) {
            __m256 s = acc[r][n][0];
            for (int u = 1; u < U; u++) s = _mm256_add_ps(s, acc[r][n][u]);
            float v = hsum_ps(s);
            for (int64_t j = k; j < K; j++)  /* K tail, < 8 elements */
                v += _cvtsh_ss(w[r * K + j]) * _cvtsh_ss(x[n * K + j]);
            out[r][n] = v;
        }
}

#include "../f16_driver.h"

/* ---------------------------------------------------------------- I8 GEMM */

/* Exact int8 x int8 dots with maddubs, which multiplies unsigned by signed bytes: feed it |x| (unsigned;
 * |-128| = 0x80 reads as 128, correctly) and sign(w, x) = w negated where x < 0, zeroed where x == 0. Then
 * |x| * sign(w, x) = x * w for every pair. sign() cannot overflow because w is never -128 (I8 codes are
 * symmetric, [-127, 127]), and maddubs cannot saturate: each int16 pair sum is at most 2 * 128 * 127 = 32512
 * <= 32767 in magnitude. madd with ones then widens the pairs to int32 right away (two such sums would
 * already exceed int16). The scalar reference is i8_gemm_ref in ref/kernels_ref.cpp. */

/* R rows (K bytes apart) x N tokens (K bytes apart): each weight vector is loaded once for N tokens and each
 * activation vector (with its |x|) once for R rows. K tail (< 32 elements) in scalar code: integer sums, so
 * the order does not matter and the result stays bit-exact. `next`: the following tile's rows, prefetched
 * one tile ahead (the same reason as in the I2_S GEMV: hardware streams stop at 4 KiB page boundaries). */
template <int R, int N>
static inline void i8_tile(const int8_t *w, const int8_t *x, int64_t K, int32_t (*dot)[N], const int8_t *next) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc[r][n] = _mm256_setzero_si256();
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
        /* R*32 bytes of this tile per step, so R*32 bytes of the next contiguous R rows keep pace */
        if (next)
            for (int p = 0; p < R * 32; p += 64) _mm_prefetch((const char *)(next + R * k + p), _MM_HINT_T0);
        __m256i wv[R];
        for (int r = 0; r < R; r++) wv[r] = _mm256_loadu_si256((const __m256i *)(w + r * K + k));
        for (int n = 0; n < N; n++) {
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(x + n * K + k));
            const __m256i ax = _mm256_abs_epi8(xv);
            for (int r = 0; r < R; r++) {
                __m256i p = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(wv[r], xv));
                acc[r][n] = _mm256_add_epi32(acc[r][n], _mm256_madd_epi16(p, ones));
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) {
            int32_t s = hsum_epi32(acc[r][n]);
            for (int64_t j = k; j < K; j++) s += (int32_t)w[r * K + j] * (int32_t)x[n * K + j];
            dot[r][n] = s;
        }
}

#include "../i8_driver.h"

/* ---------------------------------------------------------------- Q4 GEMM */

/* Groups (64 elements) per int16 -> int32 widening. maddubs multiplies the unsigned nibbles (0..15, every
 * value exact, including 0 and 1 which the packer never writes) by the signed activations and adds pairs:
 * each int16 result is in [-2*15*128, 2*15*127] = [-3840, 3810], far from saturation. A group adds two
 * such results to every accumulator lane (low nibbles, high nibbles), so 4 groups add 8: [-30720, 30480],
 * inside int16; a fifth group could reach -38400 and wrap. The scalar reference is q4_gemm_ref. */
constexpr int64_t Q4_WIDEN_GROUPS = 4;

/* The 64 nibbles of one 32-byte group in element order: low nibbles are elements 0..31, high nibbles
 * 32..63. The 16-bit shift pulls bits of the neighbouring byte into bits 4..7; the mask drops them. */
static inline void q4_unpack(const uint8_t *p, __m256i &lo, __m256i &hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i raw = _mm256_loadu_si256((const __m256i *)p);
    lo = _mm256_and_si256(raw, low4);
    hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
}

/* R rows (K/2 bytes apart) x N tokens (K bytes apart): each row's nibbles are unpacked once per group for N
 * tokens and each activation vector is loaded once for R rows. dot = exact sums of nibble * activation.
 * `next`: the following tile's rows, R*32 bytes per group as this tile consumes, prefetched one tile ahead
 * (hardware prefetch streams stop at 4 KiB pages, as in the I2_S and I8 GEMVs). */
template <int R, int N>
static inline void q4_tile(const uint8_t *w, const int8_t *x, int64_t K, int32_t (*dot)[N], const uint8_t *next) {
    const __m256i ones = _mm256_set1_epi16(1);
    const int64_t row_bytes = K / 2, ng = K / B4J_Q4_GROUP;
    __m256i acc32[R][N];
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) acc32[r][n] = _mm256_setzero_si256();
    for (int64_t g0 = 0; g0 < ng; g0 += Q4_WIDEN_GROUPS) {
        const int64_t g1 = g0 + Q4_WIDEN_GROUPS < ng ? g0 + Q4_WIDEN_GROUPS : ng;
        __m256i acc16[R][N];
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++) acc16[r][n] = _mm256_setzero_si256();
        for (int64_t g = g0; g < g1; g++) {
            if (next)
                for (int p = 0; p < R * 32; p += 64) _mm_prefetch((const char *)(next + R * 32 * g + p), _MM_HINT_T0);
            __m256i lo[R], hi[R];
            for (int r = 0; r < R; r++) q4_unpack(w + r * row_bytes + 32 * g, lo[r], hi[r]);
            for (int n = 0; n < N; n++) {
                const __m256i a0 = _mm256_loadu_si256((const __m256i *)(x + n * K + B4J_Q4_GROUP * g));
                const __m256i a1 = _mm256_loadu_si256((const __m256i *)(x + n * K + B4J_Q4_GROUP * g + 32));
                for (int r = 0; r < R; r++) {
                    const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo[r], a0), _mm256_maddubs_epi16(hi[r], a1));
                    acc16[r][n] = _mm256_add_epi16(acc16[r][n], p);
                }
            }
        }
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++)
                acc32[r][n] = _mm256_add_epi32(acc32[r][n], _mm256_madd_epi16(acc16[r][n], ones));
    }
    /* |sum| <= 15 * 128 * 65536 < 2^31: the int32 lanes and their total cannot overflow */
    for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++) dot[r][n] = hsum_epi32(acc32[r][n]);
}

#include "../q4_driver.h"

static void q4_gemm(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                    const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* batches: 1 row x 4 tokens (4 int16 + 4 int32 accumulators, 2 nibble vectors): no spills. 2 rows x 4
     * tokens spill half the int16 accumulators every group and measured 10 % slower at T = 4 and 8. */
    q4_gemm_rows<1>(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
}

/* ---------------------------------------------------------------- int8 MAC ceiling */

/* 8 independent maddubs + add chains, the I2_S tile's inner step (32 MACs each) with operands in registers:
 * Zen 3 issues 2 maddubs per cycle, so this is the ceiling of every AVX2 GEMM here. */
static int64_t int8_mac_loop(int64_t rounds) {
    __m256i c = _mm256_set1_epi8(2), a = _mm256_set1_epi8(-7);
    B4J_KEEP(c);
    B4J_KEEP(a);
    /* named accumulators: GCC keeps an array of them in memory here */
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int64_t i = 0; i < rounds; i++) {
        maddubs_accumulate(a0, c, a);
        maddubs_accumulate(a1, c, a);
        maddubs_accumulate(a2, c, a);
        maddubs_accumulate(a3, c, a);
        maddubs_accumulate(a4, c, a);
        maddubs_accumulate(a5, c, a);
        maddubs_accumulate(a6, c, a);
        maddubs_accumulate(a7, c, a);
    }
    __m256i s = _mm256_add_epi16(_mm256_add_epi16(_mm256_add_epi16(a0, a1), _mm256_add_epi16(a2, a3)),
                                 _mm256_add_epi16(_mm256_add_epi16(a4, a5), _mm256_add_epi16(a6, a7)));
    __asm__ volatile("" : : "x"(s));  /* the sums are used: the loop is not dead code */
    return rounds * 8 * 32;
}

}  // namespace

extern "C" {

void b4j_avx2_i8_gemm(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                      const float *act_scale, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    /* batches: 2 rows x 4 tokens = 8 accumulators + 2 weight vectors + temporaries fit the 16 ymm */
    i8_gemm_rows<2>(w, w_scales, K, q, act_scale, T, y, ldy, m_begin, m_end);
}

void b4j_avx2_quantize_i8s(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum) {
    for (int64_t r = 0; r < rows; r++) quantize_row(x + r * n, n, q + r * n, scale + r, sum + r);
}

void b4j_avx2_f16_gemm(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                       float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    f16_gemm_rows(w, K, x, T, y, ldy, m_begin, m_end);
}

extern const b4j_kernels b4j_kernels_avx2 = {
    .quantize_i8s = b4j_avx2_quantize_i8s,
    .i2s_gemm = i2s_gemm,
    .f16_gemm = b4j_avx2_f16_gemm,
    .i8_gemm = b4j_avx2_i8_gemm,
    .q4_gemm = q4_gemm,
    .int8_mac_loop = int8_mac_loop,
};

}  /* extern "C" */
