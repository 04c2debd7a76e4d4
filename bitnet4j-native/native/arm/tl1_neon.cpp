/* TL1 lookup-table GEMM for baseline AArch64 NEON (also used on dotprod CPUs: SDOT does not help lookups).
 * Layout in internal.h: 32-row tiles of 128-byte groups of 8 pairs (4 index vectors of 32 bytes, read as
 * two 16-row halves).
 *
 * Per token, every pair gets two 16-entry int8 tables (9 used), over the low and the high parts of its two
 * activations (q = lo + 16*hi, internal.h): |entry| <= 16. vqtbl1q looks 16 rows up at once; 4 pairs are
 * summed in int8 (<= 64), then lo + 16*hi is accumulated in int16 (vaddw + vmlal by 16) and the int16 sums
 * go to int32 every WIDEN_GROUPS groups. Every step is exact. */
#include <arm_neon.h>
#include <string.h>

#include "../internal.h"

namespace {

/* int16 bound: lo + 16*hi is the exact partial dot of a unit, so an int16 accumulator holds the exact dot
 * of WIDEN_GROUPS * 16 weights: |dot| <= 15 * 16 * 128 = 30720 <= 32767 (also between vaddw and vmlal). */
constexpr int64_t WIDEN_GROUPS = 15;
constexpr int64_t TAB_BYTES = 32768;  /* tables of one K chunk for the N tokens of a pass, on the stack */
constexpr int64_t MAX_TILES = 64;     /* row block: int32 dots of up to 64 tiles x NT tokens on the stack */
constexpr int NT = 2;                 /* tokens per pass: 2 x (8 int8 + 4 int16 accumulators) fit 32 regs */

/* Tables of pairs [p0, p0 + np) of one token: 32 bytes each, lo-plane entries then hi-plane entries. */
static void build_tables(const int8_t *qt, int64_t p0, int64_t np, uint8_t *tab) {
    int8x16_t d0, d1;
    {
        int8_t a[16], b[16];
        for (int e = 0; e < 16; e++) a[e] = b4j_tl1_digits[e][0], b[e] = b4j_tl1_digits[e][1];
        d0 = vld1q_s8(a);
        d1 = vld1q_s8(b);
    }
    for (int64_t p = p0; p < p0 + np; p++, tab += 32) {
        const int32_t x0 = qt[2 * p], x1 = qt[2 * p + 1];
        const int8x16_t lo = vmlaq_s8(vmulq_s8(d0, vdupq_n_s8((int8_t)b4j_split_lo(x0))), d1,
                                      vdupq_n_s8((int8_t)b4j_split_lo(x1)));
        const int8x16_t hi = vmlaq_s8(vmulq_s8(d0, vdupq_n_s8((int8_t)b4j_split_hi(x0))), d1,
                                      vdupq_n_s8((int8_t)b4j_split_hi(x1)));
        vst1q_s8((int8_t *)tab, lo);
        vst1q_s8((int8_t *)tab + 16, hi);
    }
}

/* One 32-row tile over groups [0, ng) of a chunk for N tokens; dot[n][r] += exact int32 partial dots. */
template <int N>
static void tl1_tile(const uint8_t *wt, int64_t ng, const uint8_t *tab, int64_t tab_stride, int32_t (*dot)[32]) {
    const uint8x16_t m0f = vdupq_n_u8(0x0f);
    const int8x8_t c16 = vdup_n_s8(16);
    for (int64_t g0 = 0; g0 < ng; g0 += WIDEN_GROUPS) {
        const int64_t g1 = g0 + WIDEN_GROUPS < ng ? g0 + WIDEN_GROUPS : ng;
        int16x8_t acc[N][4];  /* rows 0-7, 8-15, 16-23, 24-31 */
        for (int n = 0; n < N; n++)
            for (int i = 0; i < 4; i++) acc[n][i] = vdupq_n_s16(0);
        for (int64_t g = g0; g < g1; g++) {
            const uint8_t *p = wt + g * B4J_TL1_GROUP_BYTES;
            const uint8_t *tg = tab + g * 8 * 32;
            for (int u = 0; u < 2; u++) {  /* unit = index vectors 2u, 2u+1 = pairs 4u..4u+3 */
                int8x16_t lo[N][2], hi[N][2];
                for (int n = 0; n < N; n++) lo[n][0] = lo[n][1] = hi[n][0] = hi[n][1] = vdupq_n_s8(0);
                for (int v = 2 * u; v < 2 * u + 2; v++) {
                    for (int h = 0; h < 2; h++) {
                        const uint8x16_t raw = vld1q_u8(p + 32 * v + 16 * h);
                        const uint8x16_t idx[2] = {vandq_u8(raw, m0f), vshrq_n_u8(raw, 4)};
                        for (int s = 0; s < 2; s++) {  /* pair 2v + s */
                            for (int n = 0; n < N; n++) {
                                const uint8_t *tj = tg + n * tab_stride + (2 * v + s) * 32;
                                lo[n][h] = vaddq_s8(lo[n][h], vqtbl1q_s8(vld1q_s8((const int8_t *)tj), idx[s]));
                                hi[n][h] = vaddq_s8(hi[n][h], vqtbl1q_s8(vld1q_s8((const int8_t *)tj + 16), idx[s]));
                            }
                        }
                    }
                }
                for (int n = 0; n < N; n++)
                    for (int h = 0; h < 2; h++) {
                        int16x8_t a = vaddw_s8(acc[n][2 * h], vget_low_s8(lo[n][h]));
                        acc[n][2 * h] = vmlal_s8(a, vget_low_s8(hi[n][h]), c16);
                        int16x8_t b = vaddw_high_s8(acc[n][2 * h + 1], lo[n][h]);
                        acc[n][2 * h + 1] = vmlal_high_s8(b, hi[n][h], vdupq_n_s8(16));
                    }
            }
        }
        for (int n = 0; n < N; n++)
            for (int i = 0; i < 4; i++) {
                int32_t *d = dot[n] + 8 * i;
                vst1q_s32(d, vaddw_s16(vld1q_s32(d), vget_low_s16(acc[n][i])));
                vst1q_s32(d + 4, vaddw_high_s16(vld1q_s32(d + 4), acc[n][i]));
            }
    }
}

template <int N>
static void tl1_pass(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                     const int32_t *act_sum, int64_t t0, float *y, int64_t ldy, int64_t m_begin, int64_t m_end,
                     int64_t tb, int64_t te) {
    const int64_t ngroups = b4j_lut_groups(B4J_LAYOUT_TL1, K), tile_bytes = b4j_lut_tile_bytes(B4J_LAYOUT_TL1, K);
    const int64_t cg = TAB_BYTES / (N * 8 * 32);
    alignas(16) uint8_t tab[TAB_BYTES];
    alignas(16) int32_t dot[MAX_TILES][N][32];
    memset(dot, 0, sizeof dot);
    for (int64_t g0 = 0; g0 < ngroups; g0 += cg) {
        const int64_t ng = ngroups - g0 < cg ? ngroups - g0 : cg;
        for (int n = 0; n < N; n++) build_tables(q + (t0 + n) * K, 8 * g0, 8 * ng, tab + n * cg * 256);
        for (int64_t tile = tb; tile < te; tile++)
            tl1_tile<N>(packed + tile * tile_bytes + g0 * B4J_TL1_GROUP_BYTES, ng, tab, cg * 256, dot[tile - tb]);
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

void b4j_tl1_gemm_neon(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                       const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (T <= 0 || m_begin >= m_end) return;
    const int64_t tile_begin = m_begin / 32, tile_end = (m_end + 31) / 32;
    /* row blocks amortize the table builds (once per block, token and K chunk); the block's weights are
     * re-read once per token pass, from L2 or L3 (on x86 the same choice measured faster than 8-tile blocks) */
    const int64_t rb = MAX_TILES;
    for (int64_t tb = tile_begin; tb < tile_end; tb += rb) {
        const int64_t te = tb + rb < tile_end ? tb + rb : tile_end;
        int64_t t = 0;
        for (; t + NT <= T; t += NT) tl1_pass<NT>(packed, w_scale, K, q, act_scale, act_sum, t, y, ldy, m_begin, m_end, tb, te);
        for (; t < T; t++) tl1_pass<1>(packed, w_scale, K, q, act_scale, act_sum, t, y, ldy, m_begin, m_end, tb, te);
    }
}

}  /* extern "C" */
