/* Public entry points: argument checks, CPU feature detection and runtime dispatch to one kernel file. */
#include <stdint.h>

#include <atomic>

#include "internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif
#if defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#ifndef B4J_VERSION
#define B4J_VERSION "0.0.0"
#endif

namespace {

/* The argument checks every entry point shares. */
template <typename... P>
inline bool nonnull(const P *...p) { return ((p != nullptr) && ...); }

/* 0 <= m_begin <= m_end <= M: the caller's row slice lies inside the matrix. */
inline bool rows_ok(int64_t M, int64_t m_begin, int64_t m_end) {
    return 0 <= m_begin && m_begin <= m_end && m_end <= M;
}

/* A GEMM output: T >= 0 tokens, rows of y at least M apart, and a row slice inside the matrix. */
inline bool out_ok(int64_t M, int64_t T, int64_t ldy, int64_t m_begin, int64_t m_end) {
    return T >= 0 && ldy >= M && rows_ok(M, m_begin, m_end);
}

}  // namespace

extern "C" {

/* The one list of ISA names, indexed by B4J_ISA_* (Java reads it through b4j_isa_count / b4j_isa_name). */
static const char *const ISA_NAMES[] = {"scalar", "avx2", "avx512-vnni", "neon", "neon-dotprod"};
static_assert(sizeof ISA_NAMES / sizeof ISA_NAMES[0] == B4J_ISA_COUNT, "one name per B4J_ISA_* id");

#if defined(__x86_64__) || defined(_M_X64)
static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int cpu_has(int isa) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    unsigned long long xcr0 = xgetbv0();
    int ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    int vnni = (c >> 11) & 1;
    switch (isa) {
        case B4J_ISA_AVX2: return ymm_os && avx2 && fma && f16c;
        case B4J_ISA_AVX512_VNNI: return ymm_os && zmm_os && avx2 && fma && f16c && avx512f && avx512bw && avx512vl && vnni;
        default: return 0;
    }
}
#elif defined(__aarch64__)
static int cpu_has(int isa) {
    if (isa == B4J_ISA_NEON) return 1; /* Advanced SIMD is mandatory on AArch64 */
    if (isa != B4J_ISA_NEON_DOTPROD) return 0;
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
    int v = 0; size_t len = sizeof v;
    return sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, 0, 0) == 0 && v;
#else
    return 0;
#endif
}
#else
static int cpu_has(int isa) { (void)isa; return 0; }
#endif

static const b4j_kernels *table(int isa) {
    switch (isa) {
        case B4J_ISA_SCALAR: return &b4j_kernels_ref;
#if defined(B4J_HAVE_AVX2)
        case B4J_ISA_AVX2: return &b4j_kernels_avx2;
#endif
#if defined(B4J_HAVE_AVX512_VNNI)
        case B4J_ISA_AVX512_VNNI: return &b4j_kernels_avx512_vnni;
#endif
#if defined(B4J_HAVE_NEON)
        case B4J_ISA_NEON: return &b4j_kernels_neon;
#endif
#if defined(B4J_HAVE_NEON_DOTPROD)
        case B4J_ISA_NEON_DOTPROD: return &b4j_kernels_neon_dotprod;
#endif
        default: return 0;
    }
}

const char *b4j_version(void) { return B4J_VERSION; }

/* CPUID traps to the hypervisor in a VM (microseconds each) and every kernel call resolves its ISA, so the
 * answers are computed once. Racing first callers compute and store the same value, and the mask publishes
 * no other data, so relaxed loads and stores are enough. */
static int supported_isas(void) {
    static std::atomic<int> mask{-1};
    int m = mask.load(std::memory_order_relaxed);
    if (m < 0) {
        m = 1 << B4J_ISA_SCALAR;
        for (int isa = 0; isa < B4J_ISA_COUNT; isa++)
            if (table(isa) != 0 && cpu_has(isa)) m |= 1 << isa;
        mask.store(m, std::memory_order_relaxed);
    }
    return m;
}

int b4j_isa_count(void) { return B4J_ISA_COUNT; }

int b4j_isa_supported(int isa) {
    return isa >= 0 && isa < B4J_ISA_COUNT && (supported_isas() >> isa) & 1;
}

const char *b4j_isa_name(int isa) { return isa >= 0 && isa < B4J_ISA_COUNT ? ISA_NAMES[isa] : "unknown"; }

int b4j_isa_best(void) {
    static const int order[] = {B4J_ISA_AVX512_VNNI, B4J_ISA_AVX2, B4J_ISA_NEON_DOTPROD, B4J_ISA_NEON};
    for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
        if (b4j_isa_supported(order[i])) return order[i];
    return B4J_ISA_SCALAR;
}

/* Written at selection time, which callers do before starting work. Like the mask it is one self-contained
 * int that publishes no other data, so relaxed order is enough; it is read once per call, so a concurrent
 * select yields either the old or the new ISA, never a mix. */
static std::atomic<int> selected_isa{B4J_ISA_AUTO};

int b4j_isa_active(void) {
    const int isa = selected_isa.load(std::memory_order_relaxed);
    return isa == B4J_ISA_AUTO ? b4j_isa_best() : isa;
}

int b4j_isa_select(int isa) {
    if (isa != B4J_ISA_AUTO && !b4j_isa_supported(isa)) return B4J_EISA;
    selected_isa.store(isa, std::memory_order_relaxed);
    return B4J_OK;
}

static const b4j_kernels *resolve(int isa) {
    if (isa == B4J_ISA_AUTO) isa = b4j_isa_active();
    if (!b4j_isa_supported(isa)) return 0;
    return table(isa);
}

int64_t b4j_int8_mac_loop(int isa, int64_t rounds) {
    if (rounds < 1 || rounds > ((int64_t)1 << 32)) return B4J_EBADARG;
    const b4j_kernels *k = resolve(isa);
    if (!k) return B4J_EISA;
    return (k->int8_mac_loop ? k->int8_mac_loop : b4j_kernels_ref.int8_mac_loop)(rounds);
}

int b4j_quantize_i8s(int isa, const float *x, int64_t n, int64_t rows, int8_t *q, float *scale, int32_t *sum) {
    if (!nonnull(x, q, scale, sum) || n <= 0 || rows < 0) return B4J_EBADARG;
    const b4j_kernels *k = resolve(isa);
    if (!k) return B4J_EISA;
    (k->quantize_i8s ? k->quantize_i8s : b4j_kernels_ref.quantize_i8s)(x, n, rows, q, scale, sum);
    return B4J_OK;
}

int b4j_i2s_gemm(int isa, const uint8_t *w, float w_scale, int64_t M, int64_t K,
                 const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                 float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (!nonnull(w, q, act_scale, act_sum, y)) return B4J_EBADARG;
    if (M <= 0 || K <= 0 || K % B4J_I2S_BLOCK != 0 || !out_ok(M, T, ldy, m_begin, m_end)) return B4J_EBADARG;
    const b4j_kernels *k = resolve(isa);
    if (!k) return B4J_EISA;
    (k->i2s_gemm ? k->i2s_gemm : b4j_kernels_ref.i2s_gemm)(w, w_scale, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
    return B4J_OK;
}

int b4j_f16_gemm(int isa, const uint16_t *w, int64_t M, int64_t K, const uint16_t *x, int64_t T,
                 float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (!nonnull(w, x, y) || M <= 0 || K <= 0 || !out_ok(M, T, ldy, m_begin, m_end)) return B4J_EBADARG;
    const b4j_kernels *k = resolve(isa);
    if (!k) return B4J_EISA;
    (k->f16_gemm ? k->f16_gemm : b4j_kernels_ref.f16_gemm)(w, K, x, T, y, ldy, m_begin, m_end);
    return B4J_OK;
}

int b4j_i8_quantize_rows(const uint16_t *f16, int64_t M, int64_t K, int8_t *q, float *scales,
                         int64_t m_begin, int64_t m_end) {
    if (!nonnull(f16, q, scales) || M <= 0 || K <= 0 || !rows_ok(M, m_begin, m_end)) return B4J_EBADARG;
    b4j_ref_i8_quantize_rows(f16, K, q, scales, m_begin, m_end);
    return B4J_OK;
}

int b4j_i8_gemm(int isa, const int8_t *w, const float *w_scales, int64_t M, int64_t K,
                const int8_t *q, const float *act_scale, int64_t T, float *y, int64_t ldy,
                int64_t m_begin, int64_t m_end) {
    if (!nonnull(w, w_scales, q, act_scale, y)) return B4J_EBADARG;
    /* K <= 65536 keeps every dot inside int32: |dot| <= 127 * 128 * 65536 = 2^30 - 2^23 */
    if (M <= 0 || K <= 0 || K > 65536 || !out_ok(M, T, ldy, m_begin, m_end)) return B4J_EBADARG;
    const b4j_kernels *k = resolve(isa);
    if (!k) return B4J_EISA;
    (k->i8_gemm ? k->i8_gemm : b4j_kernels_ref.i8_gemm)(w, w_scales, K, q, act_scale, T, y, ldy, m_begin, m_end);
    return B4J_OK;
}

/* Q4 shapes: whole 64-element groups, and K <= 65536 keeps every sum inside int32 (|nibble sum| <= 15 * 128 *
 * 65536 < 2^27, |dot| <= 8 * 128 * 65536 = 2^26). */
static int q4_shape_ok(int64_t M, int64_t K) {
    return M > 0 && K > 0 && K % B4J_Q4_GROUP == 0 && K <= 65536;
}

int b4j_q4_quantize_rows(const uint16_t *f16, int64_t M, int64_t K, uint8_t *q, float *scales,
                         int64_t m_begin, int64_t m_end) {
    if (!nonnull(f16, q, scales) || !q4_shape_ok(M, K) || !rows_ok(M, m_begin, m_end)) return B4J_EBADARG;
    b4j_ref_q4_quantize_rows(f16, K, q, scales, m_begin, m_end);
    return B4J_OK;
}

int b4j_q4_gemm(int isa, const uint8_t *w, const float *w_scales, int64_t M, int64_t K,
                const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (!nonnull(w, w_scales, q, act_scale, act_sum, y)) return B4J_EBADARG;
    if (!q4_shape_ok(M, K) || !out_ok(M, T, ldy, m_begin, m_end)) return B4J_EBADARG;
    const b4j_kernels *k = resolve(isa);
    if (!k) return B4J_EISA;
    (k->q4_gemm ? k->q4_gemm : b4j_kernels_ref.q4_gemm)(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
    return B4J_OK;
}

int b4j_f16_to_f32(const uint16_t *src, float *dst, int64_t n) {
    if (!nonnull(src, dst) || n < 0) return B4J_EBADARG;
    for (int64_t i = 0; i < n; i++) dst[i] = b4j_ref_f16_to_f32(src[i]);
    return B4J_OK;
}

int b4j_f32_to_f16(const float *src, uint16_t *dst, int64_t n) {
    if (!nonnull(src, dst) || n < 0) return B4J_EBADARG;
    for (int64_t i = 0; i < n; i++) dst[i] = b4j_ref_f32_to_f16(src[i]);
    return B4J_OK;
}

/* ---------------------------------------------------------------- lookup-table kernels */

static int lut_shape_ok(int layout, int64_t M, int64_t K) {
    return (layout == B4J_LAYOUT_TL1 || layout == B4J_LAYOUT_TL2) && M > 0 && K > 0 && K % B4J_I2S_BLOCK == 0;
}

/* The SIMD kernel for a layout on this build and CPU, or null. */
static b4j_lut_gemm_fn lut_simd(int layout, int isa) {
#if defined(B4J_HAVE_AVX2)
    if (layout == B4J_LAYOUT_TL2 && isa == B4J_ISA_AVX2 && b4j_isa_supported(B4J_ISA_AVX2)) return b4j_tl2_gemm_avx2;
#endif
#if defined(B4J_HAVE_NEON)
    /* dotprod does not help table lookups: both ARM ISAs run the baseline NEON kernel */
    if (layout == B4J_LAYOUT_TL1 && (isa == B4J_ISA_NEON || isa == B4J_ISA_NEON_DOTPROD) && b4j_isa_supported(isa))
        return b4j_tl1_gemm_neon;
#endif
    (void)layout; (void)isa;
    return 0;
}

static int lut_simd_isa(int layout) { return layout == B4J_LAYOUT_TL2 ? B4J_ISA_AVX2 : B4J_ISA_NEON; }

int b4j_lut_supported(int layout) {
    return (layout == B4J_LAYOUT_TL1 || layout == B4J_LAYOUT_TL2) && lut_simd(layout, lut_simd_isa(layout)) != 0;
}

int64_t b4j_lut_packed_bytes(int layout, int64_t M, int64_t K) {
    if (!lut_shape_ok(layout, M, K)) return B4J_EBADARG;
    const int64_t tiles = (M + B4J_LUT_TILE - 1) / B4J_LUT_TILE;
    const int64_t tile_bytes = b4j_lut_tile_bytes(layout, K);
    if (tile_bytes > INT64_MAX / tiles) return B4J_EBADARG;
    return tiles * tile_bytes;
}

int b4j_lut_pack(int layout, const uint8_t *i2s, int64_t M, int64_t K, uint8_t *out, int64_t m_begin, int64_t m_end) {
    if (!nonnull(i2s, out) || !lut_shape_ok(layout, M, K) || !rows_ok(M, m_begin, m_end)) return B4J_EBADARG;
    return b4j_lut_pack_rows(layout, i2s, M, K, out, m_begin, m_end);
}

int b4j_lut_gemm(int isa, int layout, const uint8_t *packed, float w_scale, int64_t M, int64_t K,
                 const int8_t *q, const float *act_scale, const int32_t *act_sum, int64_t T,
                 float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (!nonnull(packed, q, act_scale, act_sum, y)) return B4J_EBADARG;
    if (!lut_shape_ok(layout, M, K) || !out_ok(M, T, ldy, m_begin, m_end)) return B4J_EBADARG;
    b4j_lut_gemm_fn fn = 0;
    if (isa == B4J_ISA_AUTO) {
        fn = b4j_isa_active() != B4J_ISA_SCALAR ? lut_simd(layout, lut_simd_isa(layout)) : 0;
        if (!fn) isa = B4J_ISA_SCALAR;
    } else if (isa != B4J_ISA_SCALAR) {
        fn = lut_simd(layout, isa);
        if (!fn) return B4J_EISA;
    }
    if (!fn) fn = layout == B4J_LAYOUT_TL2 ? b4j_tl2_gemm_ref : b4j_tl1_gemm_ref;
    fn(packed, w_scale, K, q, act_scale, act_sum, T, y, ldy, m_begin, m_end);
    return B4J_OK;
}

}  /* extern "C" */
