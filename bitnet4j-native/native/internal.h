/* Internal interface between the dispatcher and the per-ISA kernel files. Arguments arrive validated. */
#ifndef B4J_INTERNAL_H
#define B4J_INTERNAL_H

#include "bitnet4j/bitnet4j.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*b4j_quantize_fn)(const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum);
typedef void (*b4j_i2s_gemm_fn)(const uint8_t *w, float w_scale, int64_t K,
                                const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                                float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
typedef void (*b4j_f16_gemm_fn)(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T,
                                float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
typedef void (*b4j_i8_gemm_fn)(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                               const float *act_scale, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
typedef void (*b4j_q4_gemm_fn)(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                               const float *act_scale, const int32_t *act_sum, int64_t T, float *y, int64_t ldy,
                               int64_t m_begin, int64_t m_end);
/* Returns the MACs done: rounds * the loop's MACs per round. */
typedef int64_t (*b4j_mac_loop_fn)(int64_t rounds);

/* One entry per ISA; a null member falls back to the scalar reference. */
typedef struct {
    b4j_quantize_fn quantize_i8s;
    b4j_i2s_gemm_fn i2s_gemm;
    b4j_f16_gemm_fn f16_gemm;
    b4j_i8_gemm_fn i8_gemm;
    b4j_q4_gemm_fn q4_gemm;
    b4j_mac_loop_fn int8_mac_loop;
} b4j_kernels;

extern const b4j_kernels b4j_kernels_ref;
#if defined(B4J_HAVE_AVX2)
extern const b4j_kernels b4j_kernels_avx2;
#endif
#if defined(B4J_HAVE_AVX512_VNNI)
extern const b4j_kernels b4j_kernels_avx512_vnni;
#endif
#if defined(B4J_HAVE_NEON)
extern const b4j_kernels b4j_kernels_neon;
#endif
#if defined(B4J_HAVE_NEON_DOTPROD)
extern const b4j_kernels b4j_kernels_neon_dotprod;
#endif

/* Scalar helpers shared by every file: the exact epilogue and f16 conversions. */
static inline float b4j_epilogue(int32_t dot, int32_t act_sum, float act_scale, float w_scale) {
    /* ((float)dot - (float)S) / s * w_scale, left to right in float, as bitnet.cpp does. */
    float v = (float)dot - (float)act_sum;
    v = v / act_scale;
    return v * w_scale;
}

/* ---- lookup-table (TL1/TL2) layouts: bitnet4j's in-memory repacks of I2_S, see lut_pack.cpp ----
 * Rows come in tiles of B4J_LUT_TILE = 32; tile i holds rows 32i..32i+31 as groups_per_row consecutive
 * groups. Inside a group, byte r of every 32-byte vector belongs to row r of the tile.
 *  TL2 group = 8 triplets (24 weights, K zero-padded to a multiple of 24), 160 bytes:
 *      4 index vectors (vector p: low nibble = triplet 2p, high nibble = triplet 2p+1), then 1 sign vector
 *      (bit j = triplet j negative). A triplet (w0, w1, w2) = weights 3t, 3t+1, 3t+2 has v = 9w0 + 3w1 + w2,
 *      index |v| (0..13) and sign v < 0, so w.q = +-table[|v|] with table[e] the dot of e's balanced-ternary
 *      digits with the activations.
 *  TL1 group = 8 pairs (16 weights; K % 128 == 0 needs no padding), 128 bytes: 4 index vectors (vector p:
 *      low nibble = pair 2p, high nibble = pair 2p+1), index 3w0 + w1 + 4 (0..8). */
#define B4J_TL2_GROUP_WEIGHTS 24
#define B4J_TL2_GROUP_BYTES 160
#define B4J_TL1_GROUP_WEIGHTS 16
#define B4J_TL1_GROUP_BYTES 128

static inline int64_t b4j_lut_groups(int layout, int64_t K) {
    return layout == B4J_LAYOUT_TL2 ? (K + B4J_TL2_GROUP_WEIGHTS - 1) / B4J_TL2_GROUP_WEIGHTS
                                    : K / B4J_TL1_GROUP_WEIGHTS;
}
static inline int64_t b4j_lut_tile_bytes(int layout, int64_t K) {
    return b4j_lut_groups(layout, K) * (layout == B4J_LAYOUT_TL2 ? B4J_TL2_GROUP_BYTES : B4J_TL1_GROUP_BYTES);
}

/* The SIMD kernels look tables up bytewise, but a sum of 3 int8 values needs 10 bits. They split every
 * activation linearly, q = lo + 16*hi with lo in [-8, 7] and hi in [-8, 8], so that the tables of lo and
 * of hi are each int8 (|sum of 3| <= 24) and the sign of a triplet applies to each plane separately. */
static inline int32_t b4j_split_hi(int32_t q) { return (q + 136) / 16 - 8; }  /* round(q/16), ties up */
static inline int32_t b4j_split_lo(int32_t q) { return q - 16 * b4j_split_hi(q); }

/* Digits (w0, w1, w2) of the table entries: TL2 entry e = 9w0 + 3w1 + w2 (e <= 13; 14, 15 unused = 0),
 * TL1 entry e = 3w0 + w1 + 4 (e <= 8; 9..15 unused = 0). Defined in lut_pack.cpp. */
extern const int8_t b4j_tl2_digits[16][3];
extern const int8_t b4j_tl1_digits[16][2];

typedef void (*b4j_lut_gemm_fn)(const uint8_t *packed, float w_scale, int64_t K,
                                const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                                float *y, int64_t ldy, int64_t m_begin, int64_t m_end);

/* Repack rows [m_begin, m_end); returns B4J_OK or B4J_EBADARG (invalid code 3). */
int b4j_lut_pack_rows(int layout, const uint8_t *i2s, int64_t M, int64_t K, uint8_t *out,
                      int64_t m_begin, int64_t m_end);
void b4j_tl2_gemm_ref(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                      const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
void b4j_tl1_gemm_ref(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                      const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
#if defined(B4J_HAVE_AVX2)
void b4j_tl2_gemm_avx2(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                       const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
#endif
#if defined(B4J_HAVE_NEON)
void b4j_tl1_gemm_neon(const uint8_t *packed, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                       const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);
#endif

/* The I8 epilogue: ((float)dot / act_scale) * w_scale, left to right in float (no act_sum: the weights are
 * symmetric, so there is no zero point to correct for). */
static inline float b4j_i8_epilogue(int32_t dot, float act_scale, float w_scale) {
    float v = (float)dot / act_scale;
    return v * w_scale;
}

/* The Q4 dot from the kernels' unsigned sum of nibble * q: nibble = code + 8, so subtract 8 * act_sum. With the
 * exact act_sum the result is exact (|dot| <= 8 * 128 * 65536 = 2^26); the unsigned arithmetic only keeps a
 * wrong act_sum from a caller defined behaviour (it wraps) instead of signed overflow. */
static inline int32_t b4j_q4_dot(int32_t nibble_dot, int32_t act_sum) {
    return (int32_t)((uint32_t)nibble_dot - 8u * (uint32_t)act_sum);
}

void b4j_ref_q4_quantize_rows(const uint16_t *f16, int64_t K, uint8_t *q, float *scales, int64_t m_begin, int64_t m_end);
void b4j_ref_i8_quantize_rows(const uint16_t *f16, int64_t K, int8_t *q, float *scales, int64_t m_begin, int64_t m_end);

float b4j_ref_f16_to_f32(uint16_t h);
uint16_t b4j_ref_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif

#endif
