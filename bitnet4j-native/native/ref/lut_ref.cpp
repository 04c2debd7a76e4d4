/* Scalar references of the lookup-table kernels: they read the repacked TL1 / TL2 layouts (internal.h)
 * and look every index up in an exact int32 table entry built from the int8 activations, so they check
 * the packing and define what the SIMD kernels must produce. dot + act_sum is the I2_S code dot
 * (sum (w+1)q = sum wq + S), fed to the same epilogue, which makes y bit-identical to b4j_i2s_gemm. */
#include "../internal.h"

extern "C" {

/* activation k of a token, 0 in the zero padding past K */
static inline int32_t act(const int8_t *qt, int64_t K, int64_t k) { return k < K ? qt[k] : 0; }

/* TL2 table entry e of triplet t: the dot of e's balanced-ternary digits with q[3t..3t+2] */
static inline int32_t tl2_entry(const int8_t *qt, int64_t K, int64_t t, int e) {
    return b4j_tl2_digits[e][0] * act(qt, K, 3 * t) + b4j_tl2_digits[e][1] * act(qt, K, 3 * t + 1) +
           b4j_tl2_digits[e][2] * act(qt, K, 3 * t + 2);
}

void b4j_tl2_gemm_ref(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                      const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    const int64_t ngroups = b4j_lut_groups(B4J_LAYOUT_TL2, K), tile_bytes = b4j_lut_tile_bytes(B4J_LAYOUT_TL2, K);
    for (int64_t t = 0; t < T; t++) {
        const int8_t *qt = q + t * K;
        for (int64_t m = m_begin; m < m_end; m++) {
            const uint8_t *tile = packed + (m / B4J_LUT_TILE) * tile_bytes;
            const int r = (int)(m % B4J_LUT_TILE);
            int32_t dot = 0;
            for (int64_t g = 0; g < ngroups; g++) {
                const uint8_t *grp = tile + g * B4J_TL2_GROUP_BYTES;
                const uint8_t sign = grp[128 + r];
                for (int j = 0; j < 8; j++) {
                    const int idx = (grp[32 * (j / 2) + r] >> (4 * (j % 2))) & 15;
                    const int32_t v = tl2_entry(qt, K, 8 * g + j, idx);
                    dot += (sign >> j) & 1 ? -v : v;
                }
            }
            y[t * ldy + m] = b4j_epilogue(dot + act_sum[t], act_sum[t], act_scale[t], w_scale);
        }
    }
}

void b4j_tl1_gemm_ref(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                      const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    const int64_t ngroups = b4j_lut_groups(B4J_LAYOUT_TL1, K), tile_bytes = b4j_lut_tile_bytes(B4J_LAYOUT_TL1, K);
    for (int64_t t = 0; t < T; t++) {
        const int8_t *qt = q + t * K;
        for (int64_t m = m_begin; m < m_end; m++) {
            const uint8_t *tile = packed + (m / B4J_LUT_TILE) * tile_bytes;
            const int r = (int)(m % B4J_LUT_TILE);
            int32_t dot = 0;
            for (int64_t g = 0; g < ngroups; g++) {
                const uint8_t *grp = tile + g * B4J_TL1_GROUP_BYTES;
                for (int j = 0; j < 8; j++) {  /* pair j of the group: weights 16g + 2j, 16g + 2j + 1 */
                    const int idx = (grp[32 * (j / 2) + r] >> (4 * (j % 2))) & 15;
                    const int64_t k = 16 * g + 2 * j;
                    dot += b4j_tl1_digits[idx][0] * qt[k] + b4j_tl1_digits[idx][1] * qt[k + 1];
                }
            }
            y[t * ldy + m] = b4j_epilogue(dot + act_sum[t], act_sum[t], act_scale[t], w_scale);
        }
    }
}

}  /* extern "C" */
