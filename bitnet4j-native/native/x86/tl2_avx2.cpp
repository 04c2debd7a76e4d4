/* TL2 lookup-table GEMM for AVX2 (compiled with -mavx2 -mfma -mf16c; called only when the CPU has AVX2).
 * Layout in internal.h: 32-row tiles of 160-byte groups of 8 triplets (4 index vectors + 1 sign vector).
 *
 * Per token, every triplet t gets two 16-entry int8 tables, one over the low parts and one over the high
 * parts of its activations (q = lo + 16*hi, internal.h): table[e] = digits(e) . (lo|hi)[3t..3t+2], so
 * |entry| <= 24. One pshufb per plane looks up 32 rows at once; the triplet's sign bit negates both planes
 * (psignb); 4 triplets are summed in int8 (<= 96), then lo + 16*hi is formed in int16 by maddubs with the
 * byte pair (1, 16), and the int16 sums go to int32 every WIDEN_GROUPS groups. Every step is exact. */
#include <immintrin.h>
#include <string.h>

#include "../internal.h"

namespace {

/* int16 bound: maddubs of (lo, hi) by (1, 16) is lo + 16*hi, the exact partial dot of a unit (it never
 * saturates: <= 4 * 384), so an int16 accumulator holds the exact dot of WIDEN_GROUPS * 24 weights:
 * |dot| <= 10 * 24 * 128 = 30720 <= 32767. */
constexpr int64_t WIDEN_GROUPS = 10;
constexpr int64_t TAB_BYTES = 32768;   /* tables of one K chunk for the N tokens of a pass, on the stack */
constexpr int64_t MAX_TILES = 64;      /* row block: int32 dots of up to 64 tiles x NT tokens on the stack */
constexpr int NT = 3;  /* tokens per pass: 2, 3 and 4 measure alike on Zen 3 (per-token lookups dominate) */

/* Tables of triplets [t0, t0 + nt) of one token, nt <= MAX_CHUNK_TRIPLETS: 32 bytes each, lo-plane entries
 * then hi-plane entries. The activations are first split into lo / hi byte arrays; then a triplet's three
 * lo values and three hi values are loaded as one ymm (lo bytes | hi bytes), and pshufb broadcasts
 * activation i over the 16 entries of its lane, to be sign-multiplied by the digits (psignb) and summed. */
constexpr int64_t MAX_CHUNK_TRIPLETS = TAB_BYTES / 32;

static void build_tables(const int8_t *qt, int64_t K, int64_t t0, int64_t nt, uint8_t *tab) {
    alignas(32) int8_t lo[3 * MAX_CHUNK_TRIPLETS + 16], hi[3 * MAX_CHUNK_TRIPLETS + 16];
    const int64_t k0 = 3 * t0, n = 3 * nt;
    int64_t i = 0;
    /* 32 at a time: with u = q + 128 (q ^ 0x80), hi + 8 = (u + 8) >> 4 = avg_epu8(u >> 3, 0), computed
     * without leaving 8 bits; lo = q - 16*hi wraps correctly in bytes since it lies in [-8, 7] */
    const __m256i zero = _mm256_setzero_si256(), x80 = _mm256_set1_epi8((char)0x80);
    for (; i + 32 <= n && k0 + i + 32 <= K; i += 32) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(qt + k0 + i));
        const __m256i u3 = _mm256_and_si256(_mm256_srli_epi16(_mm256_xor_si256(q, x80), 3), _mm256_set1_epi8(0x1f));
        const __m256i h = _mm256_sub_epi8(_mm256_avg_epu8(u3, zero), _mm256_set1_epi8(8));
        const __m256i l = _mm256_sub_epi8(q, _mm256_and_si256(_mm256_slli_epi16(h, 4), _mm256_set1_epi8((char)0xf0)));
        _mm256_store_si256((__m256i *)(lo + i), l);
        _mm256_store_si256((__m256i *)(hi + i), h);
    }
    for (; i < n + 16; i++) {  /* the tail, zero past K, and 16 bytes of slack for the last 16-byte loads */
        const int32_t a = i < n && k0 + i < K ? qt[k0 + i] : 0;
        lo[i] = (int8_t)b4j_split_lo(a);
        hi[i] = (int8_t)b4j_split_hi(a);
    }
    __m256i digit[3], sel[3];
    for (int i = 0; i < 3; i++) {
        alignas(32) int8_t d[32];
        for (int e = 0; e < 16; e++) d[e] = d[16 + e] = b4j_tl2_digits[e][i];
        digit[i] = _mm256_load_si256((const __m256i *)d);
        sel[i] = _mm256_set1_epi8((char)i);
    }
    for (int64_t t = 0; t < nt; t++, tab += 32) {
        const __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(lo + 3 * t))),
                                                  _mm_loadu_si128((const __m128i *)(hi + 3 * t)), 1);
        __m256i sum = _mm256_sign_epi8(_mm256_shuffle_epi8(x, sel[0]), digit[0]);
        sum = _mm256_add_epi8(sum, _mm256_sign_epi8(_mm256_shuffle_epi8(x, sel[1]), digit[1]));
        sum = _mm256_add_epi8(sum, _mm256_sign_epi8(_mm256_shuffle_epi8(x, sel[2]), digit[2]));
        _mm256_storeu_si256((__m256i *)tab, sum);
    }
}

/* Sign vector for triplet j of a group: bit j of each byte moved to the byte's top bit (a 16-bit shift is
 * fine: the bits crossing into the high byte land below its top bit), OR 1 so psignb never sees a zero. */
template <int J>
static inline __m256i sign_of(__m256i S, __m256i one) {
    return _mm256_or_si256(_mm256_slli_epi16(S, 7 - J), one);
}

/* One 32-row tile over groups [0, ng) of a chunk for N tokens; dot[n][r] += exact int32 partial dots. */
template <int N>
static void tl2_tile(const uint8_t *wt, int64_t ng, const uint8_t *tab, int64_t tab_stride, int32_t (*dot)[32]) {
    const __m256i m0f = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    const __m256i c116 = _mm256_set1_epi16(0x1001);  /* bytes (1, 16): lo*1 + hi*16 */
    for (int64_t g0 = 0; g0 < ng; g0 += WIDEN_GROUPS) {
        const int64_t g1 = g0 + WIDEN_GROUPS < ng ? g0 + WIDEN_GROUPS : ng;
        __m256i acc[N][2];
        for (int n = 0; n < N; n++) acc[n][0] = acc[n][1] = _mm256_setzero_si256();
        for (int64_t g = g0; g < g1; g++) {
            const uint8_t *p = wt + g * B4J_TL2_GROUP_BYTES;
            const uint8_t *tg = tab + g * 8 * 32;
            const __m256i S = _mm256_loadu_si256((const __m256i *)(p + 128));
            /* two halves of 4 triplets: int8 sums stay within 4 * 24 = 96 */
#define B4J_TL2_STEP(J, IDX)                                                                                 \
    do {                                                                                                     \
        const __m256i s = sign_of<J>(S, one);                                                                \
        for (int n = 0; n < N; n++) {                                                                        \
            const uint8_t *tj = tg + n * tab_stride + (J) * 32;                                              \
            const __m256i tlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)tj));           \
            const __m256i thi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(tj + 16)));    \
            lo[n] = _mm256_add_epi8(lo[n], _mm256_sign_epi8(_mm256_shuffle_epi8(tlo, IDX), s));              \
            hi[n] = _mm256_add_epi8(hi[n], _mm256_sign_epi8(_mm256_shuffle_epi8(thi, IDX), s));              \
        }                                                                                                    \
    } while (0)
#define B4J_TL2_HALF(H)                                                                                      \
    do {                                                                                                     \
        __m256i lo[N], hi[N];                                                                                \
        for (int n = 0; n < N; n++) lo[n] = hi[n] = _mm256_setzero_si256();                                  \
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(p + 64 * (H)));                              \
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 64 * (H) + 32));                         \
        const __m256i i0 = _mm256_and_si256(v0, m0f), i1 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), m0f); \
        const __m256i i2 = _mm256_and_si256(v1, m0f), i3 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), m0f); \
        B4J_TL2_STEP(4 * (H) + 0, i0);                                                                       \
        B4J_TL2_STEP(4 * (H) + 1, i1);                                                                       \
        B4J_TL2_STEP(4 * (H) + 2, i2);                                                                       \
        B4J_TL2_STEP(4 * (H) + 3, i3);                                                                       \
        /* unpacklo: rows 0-7 | 16-23, unpackhi: rows 8-15 | 24-31, as (lo, hi) byte pairs */               \
        for (int n = 0; n < N; n++) {                                                                        \
            acc[n][0] = _mm256_add_epi16(acc[n][0], _mm256_maddubs_epi16(c116, _mm256_unpacklo_epi8(lo[n], hi[n]))); \
            acc[n][1] = _mm256_add_epi16(acc[n][1], _mm256_maddubs_epi16(c116, _mm256_unpackhi_epi8(lo[n], hi[n]))); \
        }                                                                                                    \
    } while (0)
            B4J_TL2_HALF(0);
            B4J_TL2_HALF(1);
#undef B4J_TL2_HALF
#undef B4J_TL2_STEP
        }
        for (int n = 0; n < N; n++) {
            static const int base[2][2] = {{0, 16}, {8, 24}};  /* first row of each 128-bit half */
            for (int u = 0; u < 2; u++) {
                const __m128i halves[2] = {_mm256_castsi256_si128(acc[n][u]), _mm256_extracti128_si256(acc[n][u], 1)};
                for (int h = 0; h < 2; h++) {
                    __m256i *d = (__m256i *)(dot[n] + base[u][h]);
                    _mm256_storeu_si256(d, _mm256_add_epi32(_mm256_loadu_si256(d), _mm256_cvtepi16_epi32(halves[h])));
                }
            }
        }
    }
}

/* Tokens [t0, t0 + N) over tiles [tb, te): K in chunks whose tables fit TAB_BYTES, int32 dots on the stack. */
template <int N>
static void tl2_pass(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                     const int32_t *act_sum, int64_t t0, float *y, int64_t ldy, int64_t m_begin, int64_t m_end,
                     int64_t tb, int64_t te) {
    const int64_t ngroups = b4j_lut_groups(B4J_LAYOUT_TL2, K), tile_bytes = b4j_lut_tile_bytes(B4J_LAYOUT_TL2, K);
    const int64_t cg = TAB_BYTES / (N * 8 * 32);  /* groups per chunk */
    alignas(32) uint8_t tab[TAB_BYTES];
    alignas(32) int32_t dot[MAX_TILES][N][32];
    memset(dot, 0, sizeof dot);
    for (int64_t g0 = 0; g0 < ngroups; g0 += cg) {
        const int64_t ng = ngroups - g0 < cg ? ngroups - g0 : cg;
        for (int n = 0; n < N; n++) build_tables(q + (t0 + n) * K, K, 8 * g0, 8 * ng, tab + n * cg * 256);
        for (int64_t tile = tb; tile < te; tile++)
            tl2_tile<N>(packed + tile * tile_bytes + g0 * B4J_TL2_GROUP_BYTES, ng, tab, cg * 256, dot[tile - tb]);
    }
    for (int n = 0; n < N; n++) {
        const int64_t t = t0 + n;
        for (int64_t tile = tb; tile < te; tile++)
            for (int r = 0; r < 32; r++) {
                const int64_t m = tile * 32 + r;
                if (m < m_begin || m >= m_end) continue;
                y[t * ldy + m] = b4j_epilogue(dot[tile - tb][n][r] + act_sum[t], act_sum[t], act_scale[t], w_scale);
            }
    }
}

}  // namespace

extern "C" {

void b4j_tl2_gemm_avx2(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                       const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (T <= 0 || m_begin >= m_end) return;
    const int64_t tile_begin = m_begin / 32, tile_end = (m_end + 31) / 32;
    /* Row blocks amortize the table builds (once per block, token and K chunk); the block's weights are
     * re-read once per token pass, from L2 or L3. */
    const int64_t rb = MAX_TILES;
    for (int64_t tb = tile_begin; tb < tile_end; tb += rb) {
        const int64_t te = tb + rb < tile_end ? tb + rb : tile_end;
        int64_t t = 0;
        for (; t + NT <= T; t += NT) tl2_pass<NT>(packed, w_scale, K, q, act_scale, act_sum, t, y, ldy, m_begin, m_end, tb, te);
        for (; t < T; t++) tl2_pass<1>(packed, w_scale, K, q, act_scale, act_sum, t, y, ldy, m_begin, m_end, tb, te);
    }
}

}  /* extern "C" */
