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

/* One entry per ISA; a null member falls back to the scalar reference. */
typedef struct {
    b4j_quantize_fn quantize_i8s;
    b4j_i2s_gemm_fn i2s_gemm;
    b4j_f16_gemm_fn f16_gemm;
    b4j_i8_gemm_fn i8_gemm;
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

/* The I8 epilogue: ((float)dot / act_scale) * w_scale, left to right in float (no act_sum: the weights are
 * symmetric, so there is no zero point to correct for). */
static inline float b4j_i8_epilogue(int32_t dot, float act_scale, float w_scale) {
    float v = (float)dot / act_scale;
    return v * w_scale;
}

void b4j_ref_i8_quantize_rows(const uint16_t *f16, int64_t K, int8_t *q, float *scales, int64_t m_begin, int64_t m_end);

float b4j_ref_f16_to_f32(uint16_t h);
uint16_t b4j_ref_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif

#endif
