/*
 * bitnet4j kernel library: the C ABI.
 *
 * Every function is prefixed b4j_. Callers (the Java runtime) validate every pointer and length before a
 * call; the library re-checks only what is cheap and returns B4J_EBADARG rather than touching memory when a
 * shape is inconsistent. No function allocates, keeps a pointer after returning, or starts threads: the
 * caller splits work by output rows and calls once per thread.
 *
 * Formats (see docs and the spec):
 *  - I2_S: ternary weights, 2 bits each, code = w + 1 (0 -> -1, 1 -> 0, 2 -> +1). A matrix of M rows and
 *    K columns (K % 128 == 0) is M*K/4 bytes: row m starts at m*K/4; inside a row each 128-element block is
 *    32 bytes, byte j holding elements j (bits 7..6), 32+j (5..4), 64+j (3..2), 96+j (1..0).
 *    The per-tensor float scale lives in the tensor's tail in the file; here it is passed by value.
 *  - I8_S: per-token int8 activations with a float scale s = 127/max(|x|, 1e-5) and the int32 sum S.
 *  - F16: IEEE binary16 as uint16_t.
 */
#ifndef BITNET4J_H
#define BITNET4J_H

#include <stdint.h>

/* The library is built with hidden visibility (-fvisibility=hidden): only what is marked B4J_API below is
 * exported, so internal kernels and tables cannot clash with, or be interposed by, other libraries in the
 * JVM. The Windows DLL build defines B4J_BUILDING to export; its users import. */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(B4J_BUILDING)
#    define B4J_API __declspec(dllexport)
#  else
#    define B4J_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define B4J_API __attribute__((visibility("default")))
#else
#  define B4J_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define B4J_I2S_BLOCK 128       /* weights per I2_S block */
#define B4J_I2S_BLOCK_BYTES 32  /* bytes per I2_S block */

/* Kernel implementations. B4J_ISA_AUTO means "the active one" (best supported unless selected). */
#define B4J_ISA_AUTO (-1)
#define B4J_ISA_SCALAR 0
#define B4J_ISA_AVX2 1
#define B4J_ISA_AVX512_VNNI 2
#define B4J_ISA_NEON 3
#define B4J_ISA_NEON_DOTPROD 4
#define B4J_ISA_COUNT 5

/* Status codes. */
#define B4J_OK 0
#define B4J_EBADARG (-1)   /* inconsistent shape or null pointer */
#define B4J_EISA (-2)      /* the requested ISA is not supported by this CPU or this build */

/* Library version string, e.g. "0.1.0". */
B4J_API const char *b4j_version(void);

/* Number of ISA ids, B4J_ISA_COUNT of the library actually loaded: ids 0 .. b4j_isa_count() - 1 name an ISA
 * (b4j_isa_name). Bindings build their ISA list from these two calls instead of keeping a copy. */
B4J_API int b4j_isa_count(void);

/* 1 if the ISA was compiled into this library and the running CPU supports it, else 0. */
B4J_API int b4j_isa_supported(int isa);

/* Short name of an ISA ("scalar", "avx2", "avx512-vnni", "neon", "neon-dotprod"), or "unknown". */
B4J_API const char *b4j_isa_name(int isa);

/* The most capable supported ISA. */
B4J_API int b4j_isa_best(void);

/* The ISA used for B4J_ISA_AUTO: the best one unless b4j_isa_select chose another. */
B4J_API int b4j_isa_active(void);

/* Make `isa` the active one (B4J_ISA_AUTO restores the best). Returns B4J_OK or B4J_EISA. */
B4J_API int b4j_isa_select(int isa);

/*
 * The int8 compute ceiling of an ISA: `rounds` rounds of register-only multiply-accumulates with the instruction
 * its I2_S GEMM is built from (scalar: integer multiply-add; AVX2: vpmaddubsw + vpaddw; AVX-512 VNNI: vpdpbusd;
 * NEON: smlal; NEON dotprod: sdot), in enough independent chains to fill the pipelines. Returns the number of
 * int8 multiply-accumulates performed (rounds times the ISA's MACs per round; > 0), or B4J_EBADARG (rounds
 * outside [1, 2^32]) / B4J_EISA. Callers time it on each thread: MACs per second is the rate no GEMM on that
 * ISA can exceed, so MACs per token / rate is the compute roofline of prefill and batched decoding.
 */
B4J_API int64_t b4j_int8_mac_loop(int isa, int64_t rounds);

/*
 * I8_S activation quantization of `rows` rows of n floats (row r at x + r*n):
 *   m = max(1e-5, max|x|) in double; s = (float)(127/m); q = clamp(round_half_even(x*s), -128, 127);
 *   scale[r] = s; sum[r] = sum of q.
 * q receives rows*n bytes.
 */
B4J_API int b4j_quantize_i8s(int isa, const float *x, int64_t n, int64_t rows,
                             int8_t *q, float *scale, int32_t *sum);

/*
 * I2_S ternary GEMM: for tokens t in [0, T) and output rows m in [m_begin, m_end):
 *   dot = sum_k code(m, k) * q[t*K + k]                 (exact int32)
 *   y[t*ldy + m] = (((float)dot - (float)act_sum[t]) / act_scale[t]) * w_scale
 * w points at row 0 of an M x K matrix; K % 128 == 0; 0 <= m_begin <= m_end <= M; ldy >= M.
 * T == 1 is the GEMV used for decoding.
 */
B4J_API int b4j_i2s_gemm(int isa, const uint8_t *w, float w_scale, int64_t M, int64_t K,
                         const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                         float *y, int64_t ldy, int64_t m_begin, int64_t m_end);

/*
 * F16 GEMM with f32 accumulation (the tied output projection): for t in [0, T), m in [m_begin, m_end):
 *   y[t*ldy + m] = sum_k f16(w[m*K + k]) * f16(x[t*K + k])
 * Both operands are F16 (the caller rounds activations to F16, as ggml does). Summation order is the
 * implementation's; results agree with the scalar reference to float rounding, not bit for bit.
 */
B4J_API int b4j_f16_gemm(int isa, const uint16_t *w, int64_t M, int64_t K,
                         const uint16_t *x, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end);

/* Conversions, exact (round to nearest even for f32 -> f16). */
B4J_API int b4j_f16_to_f32(const uint16_t *src, float *dst, int64_t n);
B4J_API int b4j_f32_to_f16(const float *src, uint16_t *dst, int64_t n);


/*
 * Lookup-table kernels over weights repacked at load time from canonical I2_S. layout: B4J_LAYOUT_TL2
 * (3-weight groups: 4-bit index + sign bit, AVX2 pshufb) or B4J_LAYOUT_TL1 (2-weight groups, 4-bit index,
 * NEON tbl). The repacked layouts are bitnet4j's own in-memory formats (not bitnet.cpp's file formats):
 * rows are grouped in tiles of 32 (the last tile zero-padded), K is zero-padded to whole groups, and every
 * byte belongs to exactly one row, so any row ranges can be packed concurrently.
 * b4j_lut_gemm consumes the same I8_S activations as b4j_i2s_gemm and its output is bit-identical to it.
 */
#define B4J_LAYOUT_TL1 1
#define B4J_LAYOUT_TL2 2
#define B4J_LUT_TILE 32  /* rows per tile of a repacked matrix */

/* 1 if a SIMD kernel for the layout runs on this CPU (the scalar reference always exists). */
B4J_API int b4j_lut_supported(int layout);

/* Bytes of the repacked M x K matrix, or < 0 for a bad layout or shape (M <= 0, K <= 0, K % 128 != 0). */
B4J_API int64_t b4j_lut_packed_bytes(int layout, int64_t M, int64_t K);

/* Repack rows [m_begin, m_end) from canonical I2_S (as b4j_i2s_gemm reads it) into out, which holds
 * b4j_lut_packed_bytes(layout, M, K) bytes. The call whose m_end == M also zeroes the padding rows of the
 * last tile. Returns B4J_EBADARG for a bad shape or range, or if a weight has the invalid code 3. */
B4J_API int b4j_lut_pack(int layout, const uint8_t *i2s, int64_t M, int64_t K, uint8_t *out,
                         int64_t m_begin, int64_t m_end);

/* Same contract and bit-identical results as b4j_i2s_gemm, over a matrix repacked by b4j_lut_pack.
 * isa: B4J_ISA_SCALAR (both layouts), B4J_ISA_AVX2 (TL2), B4J_ISA_NEON or B4J_ISA_NEON_DOTPROD (TL1), or
 * B4J_ISA_AUTO (the layout's SIMD kernel if supported and the active ISA is not scalar, else scalar);
 * anything else returns B4J_EISA. The SIMD kernels keep their tables and int32 sums on the stack (up to
 * ~72 KiB per call). A row range need not be tile-aligned: a tile shared by two callers is computed by both,
 * each writing only its own rows. */
B4J_API int b4j_lut_gemm(int isa, int layout, const uint8_t *packed, float w_scale, int64_t M, int64_t K,
                         const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                         float *y, int64_t ldy, int64_t m_begin, int64_t m_end);

/*
 * Row-quantized int8 matrices (the optional quantized output projection).
 *
 * I8 format: an M x K matrix is M*K int8 codes, row m at byte m*K, every code in [-127, 127] (never -128),
 * plus one float scale per row: w[m][k] ~= scales[m] * q[m*K + k].
 *
 * b4j_i8_quantize_rows packs rows [m_begin, m_end) of the F16 matrix f16 (row m at f16 + m*K), writing
 * q[m*K .. m*K+K) and scales[m] for those rows only:
 *   a = f16 -> f32 of each element, non-finite elements (Inf, NaN) counted as 0 (the Java side rejects such
 *       tables before packing; this only keeps the packer defined);
 *   max = max |a| (float); scale = max / 127.0f (float division); max == 0: scale 0 and every code 0;
 *   q = clamp(round_half_even(a / scale), -127, 127), the division in float.
 * Scalar on every ISA (it runs once, at load time; callers split rows across threads).
 *
 * b4j_i8_gemm: for t in [0, T) and m in [m_begin, m_end):
 *   dot = sum_k w[m*K + k] * q[t*K + k]                 (exact int32; callers guarantee K <= 65536)
 *   y[t*ldy + m] = ((float)dot / act_scale[t]) * w_scales[m]   (two float roundings, in this order)
 * q / act_scale are I8_S activations (b4j_quantize_i8s; the per-token sum is not needed: symmetric weights).
 * Any K >= 1 (no block constraint); 0 <= m_begin <= m_end <= M; ldy >= M.
 */
B4J_API int b4j_i8_quantize_rows(const uint16_t *f16, int64_t M, int64_t K, int8_t *q, float *scales,
                                 int64_t m_begin, int64_t m_end);
B4J_API int b4j_i8_gemm(int isa, const int8_t *w, const float *w_scales, int64_t M, int64_t K,
                        const int8_t *q, const float *act_scale, int64_t T, float *y, int64_t ldy,
                        int64_t m_begin, int64_t m_end);

/*
 * Row-quantized 4-bit matrices (the smallest output projection copy: a ranking pass).
 *
 * Q4 format: an M x K matrix (K % 64 == 0, K <= 65536) is M*K/2 bytes, row m at byte m*K/2, plus one float
 * scale per row. Codes c in [-7, 7] are stored as nibbles c + 8, two per byte: inside each group of 64
 * elements (32 bytes) byte j holds element j in its low nibble and element 32 + j in its high nibble.
 * w[m][k] ~= scales[m] * (nibble(m, k) - 8).
 *
 * b4j_q4_quantize_rows packs rows [m_begin, m_end) of the F16 matrix f16 (row m at f16 + m*K), writing
 * q[m*K/2 .. (m+1)*K/2) and scales[m] for those rows only:
 *   a = f16 -> f32 of each element, non-finite elements counted as 0 (as b4j_i8_quantize_rows);
 *   max = max |a| (float); scale = max / 7.0f (float division); max == 0: scale 0 and every code 0 (nibble 8);
 *   c = clamp(round_half_even(a / scale), -7, 7), the division in float.
 * Scalar on every ISA (it runs once, at load time; callers split rows across threads).
 *
 * b4j_q4_gemm: for t in [0, T) and m in [m_begin, m_end):
 *   dot = sum_k (nibble(m, k) - 8) * q[t*K + k]                (exact int32 for every nibble 0..15)
 *   y[t*ldy + m] = ((float)dot / act_scale[t]) * w_scales[m]   (two float roundings, in this order)
 * q / act_scale / act_sum are I8_S activations (b4j_quantize_i8s). act_sum[t] must be the exact sum of the
 * token's q: the SIMD kernels compute dot as sum_k nibble * q - 8 * act_sum[t].
 * K % 64 == 0, 0 < K <= 65536; 0 <= m_begin <= m_end <= M; ldy >= M.
 */
#define B4J_Q4_GROUP 64  /* elements per Q4 nibble group (32 bytes) */

B4J_API int b4j_q4_quantize_rows(const uint16_t *f16, int64_t M, int64_t K, uint8_t *q, float *scales,
                                 int64_t m_begin, int64_t m_end);
B4J_API int b4j_q4_gemm(int isa, const uint8_t *w, const float *w_scales, int64_t M, int64_t K,
                        const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                        float *y, int64_t ldy, int64_t m_begin, int64_t m_end);

#ifdef __cplusplus
}
#endif

#endif /* BITNET4J_H */
