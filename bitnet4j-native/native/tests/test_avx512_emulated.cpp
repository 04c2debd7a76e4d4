/* Runs the AVX-512 VNNI I2_S, I8 and Q4 kernels' code on a CPU without AVX-512: the file is compiled here with the
 * handful of AVX-512 intrinsics it uses replaced by scalar versions written from Intel's definitions. This
 * checks the kernel's layout, tiling and tail logic against the scalar reference; it cannot check the real
 * instructions (the real test in test_kernels runs only where the CPU has AVX-512 VNNI). Built with -mavx2 for
 * the 256-bit parts, so it assumes an AVX2 CPU (every x86-64 CI runner is one). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include <cstdio>
#include <random>
#include <vector>

namespace emu {
struct v512 {
    union {
        uint8_t u8[64];
        int8_t s8[64];
        uint16_t u16[32];
        int32_t i32[16];
    };
};
static inline v512 set1_epi8(char v) { v512 r; memset(r.u8, (unsigned char)v, 64); return r; }
static inline v512 set1_epi16(short v) { v512 r; for (int i = 0; i < 32; i++) r.u16[i] = (uint16_t)v; return r; }
static inline v512 setzero() { v512 r; memset(r.u8, 0, 64); return r; }
static inline v512 inserti64x4(v512 a, __m256i b, int imm) { memcpy(a.u8 + 32 * (imm & 1), &b, 32); return a; }
static inline v512 broadcast_i64x4(__m256i b) { v512 r; memcpy(r.u8, &b, 32); memcpy(r.u8 + 32, &b, 32); return r; }
static inline v512 and_si512(v512 a, v512 b) { for (int i = 0; i < 64; i++) a.u8[i] &= b.u8[i]; return a; }
static inline v512 srlv_epi16(v512 a, v512 c) {
    for (int i = 0; i < 32; i++) a.u16[i] = c.u16[i] > 15 ? 0 : (uint16_t)(a.u16[i] >> c.u16[i]);
    return a;
}
static inline v512 loadu_si512(const void *p) { v512 r; memcpy(r.u8, p, 64); return r; }
/* VPDPBUSD: per dword, src + sum of 4 (unsigned byte of a) * (signed byte of b), no saturation */
static inline v512 dpbusd(v512 src, v512 a, v512 b) {
    for (int i = 0; i < 16; i++) {
        int32_t s = 0;
        for (int j = 0; j < 4; j++) s += (int32_t)a.u8[4 * i + j] * (int32_t)b.s8[4 * i + j];
        src.i32[i] = (int32_t)((uint32_t)src.i32[i] + (uint32_t)s);
    }
    return src;
}
/* the I8 kernel's extra intrinsics */
static inline v512 maskz_loadu_epi8(uint64_t k, const void *p) {  /* masked-off bytes are never read */
    v512 r;
    for (int i = 0; i < 64; i++) r.s8[i] = (k >> i) & 1 ? ((const int8_t *)p)[i] : 0;
    return r;
}
static inline v512 abs_epi8(v512 a) {  /* |-128| wraps to 0x80, as VPABSB */
    for (int i = 0; i < 64; i++) a.u8[i] = (uint8_t)(a.s8[i] < 0 ? -a.s8[i] : a.s8[i]);
    return a;
}
static inline uint64_t movepi8_mask(v512 a) {
    uint64_t k = 0;
    for (int i = 0; i < 64; i++) k |= (uint64_t)(a.u8[i] >> 7) << i;
    return k;
}
static inline v512 mask_sub_epi8(v512 src, uint64_t k, v512 a, v512 b) {
    for (int i = 0; i < 64; i++)
        if ((k >> i) & 1) src.u8[i] = (uint8_t)(a.u8[i] - b.u8[i]);
    return src;
}
static inline v512 add_epi32(v512 a, v512 b) {
    for (int i = 0; i < 16; i++) a.i32[i] = (int32_t)((uint32_t)a.i32[i] + (uint32_t)b.i32[i]);
    return a;
}
static inline int reduce_add_epi32(v512 a) { int32_t s = 0; for (int i = 0; i < 16; i++) s += a.i32[i]; return s; }
}  // namespace emu

#undef __m512i
#define __m512i emu::v512
#undef _mm512_set1_epi8
#define _mm512_set1_epi8 emu::set1_epi8
#undef _mm512_set1_epi16
#define _mm512_set1_epi16 emu::set1_epi16
#undef _mm512_setzero_si512
#define _mm512_setzero_si512 emu::setzero
#undef _mm512_inserti64x4
#define _mm512_inserti64x4 emu::inserti64x4
#undef _mm512_broadcast_i64x4
#define _mm512_broadcast_i64x4 emu::broadcast_i64x4
#undef _mm512_and_si512
#define _mm512_and_si512 emu::and_si512
#undef _mm512_srlv_epi16
#define _mm512_srlv_epi16 emu::srlv_epi16
#undef _mm512_loadu_si512
#define _mm512_loadu_si512 emu::loadu_si512
#undef _mm512_dpbusd_epi32
#define _mm512_dpbusd_epi32 emu::dpbusd
#undef _mm512_maskz_loadu_epi8
#define _mm512_maskz_loadu_epi8 emu::maskz_loadu_epi8
#undef _mm512_abs_epi8
#define _mm512_abs_epi8 emu::abs_epi8
#undef _mm512_movepi8_mask
#define _mm512_movepi8_mask emu::movepi8_mask
#undef _mm512_mask_sub_epi8
#define _mm512_mask_sub_epi8 emu::mask_sub_epi8
#undef _mm512_add_epi32
#define _mm512_add_epi32 emu::add_epi32
#define B4J_KEEP512(v) __asm__("" : : "r"(&(v)) : "memory")
#define B4J_USE512(v) __asm__ volatile("" : : "r"(&(v)) : "memory")
#undef _mm512_reduce_add_epi32
#define _mm512_reduce_add_epi32 emu::reduce_add_epi32
/* keep the emulated table and its AVX2 references private to this executable */
#define b4j_kernels_avx512_vnni emu_kernels_avx512_vnni
#define b4j_avx2_quantize_i8s emu_unused_quantize
#define b4j_avx2_f16_gemm emu_unused_f16_gemm
#include "../x86/avx512_vnni.cpp"

extern "C" void emu_unused_quantize(const float *, int64_t, int64_t, int8_t *, float *, int32_t *) {}
extern "C" void emu_unused_f16_gemm(const uint16_t *, int64_t, const uint16_t *, int64_t, float *, int64_t, int64_t,
                                    int64_t) {}

int main() {
    if (!b4j_isa_supported(B4J_ISA_AVX2)) {
        std::printf("SKIP avx512-vnni (emulated): needs AVX2 for the 256-bit parts\n");
        return 0;
    }
    std::mt19937 rng(5);
    int failures = 0, cases = 0;
    struct C { int64_t M, K, T, mb, me, ldy; int extreme; };
    std::vector<C> cs = {{1, 128, 1, 0, 1, 1, 0},   {7, 256, 1, 0, 7, 7, 0},     {33, 640, 1, 1, 32, 35, 0},
                         {5, 384, 2, 0, 5, 5, 0},   {5, 384, 3, 2, 5, 6, 0},     {9, 6912, 4, 0, 9, 9, 0},
                         {9, 6912, 5, 1, 8, 11, 0}, {31, 2560, 9, 0, 31, 31, 0}, {3, 256, 17, 0, 3, 3, 0},
                         {8, 512, 16, 3, 3, 8, 0},  {9, 16384, 5, 0, 9, 9, 1},   {6, 16384, 1, 0, 6, 6, 1}};
    for (const C &c : cs) {
        std::vector<uint8_t> w((size_t)(c.M * c.K / 4));
        for (auto &b : w) {
            b = 0;
            for (int j = 0; j < 4; j++) b = (uint8_t)((b << 2) | (c.extreme ? 2 : rng() % 3));
        }
        std::vector<int8_t> q((size_t)(c.K * c.T));
        for (auto &v : q) v = c.extreme ? (int8_t)-128 : (int8_t)(int)(rng() % 256 - 128);
        std::vector<float> as((size_t)c.T);
        std::vector<int32_t> S((size_t)c.T);
        for (int64_t t = 0; t < c.T; t++) { as[(size_t)t] = 1.f + (float)(rng() % 1000) * 0.1f; S[(size_t)t] = (int32_t)(rng() % 1000) - 500; }
        std::vector<float> y0((size_t)(c.T * c.ldy), -1.f), y1((size_t)(c.T * c.ldy), -1.f);
        b4j_i2s_gemm(B4J_ISA_SCALAR, w.data(), 0.75f, c.M, c.K, q.data(), as.data(), S.data(), c.T, y0.data(), c.ldy,
                     c.mb, c.me);
        emu_kernels_avx512_vnni.i2s_gemm(w.data(), 0.75f, c.K, q.data(), as.data(), S.data(), c.T, y1.data(), c.ldy,
                                         c.mb, c.me);
        cases++;
        if (memcmp(y0.data(), y1.data(), y0.size() * sizeof(float)) != 0) {
            failures++;
            std::printf("FAIL avx512-vnni (emulated) i2s_gemm M=%lld K=%lld T=%lld rows [%lld,%lld)\n", (long long)c.M,
                        (long long)c.K, (long long)c.T, (long long)c.mb, (long long)c.me);
        }
    }
    std::printf("avx512-vnni (emulated intrinsics) i2s_gemm: %d cases, %d failure(s)\n", cases, failures);

    /* I8 GEMM: tails (K % 64 != 0), row tiles of 4 and their remainders, token tiles of 4 and their
     * remainders, partial ranges, ldy > M, and the extremes (w = +-127 against x = -128 / 127). */
    int i8_failures = 0, i8_cases = 0;
    std::vector<C> c8 = {{1, 100, 1, 0, 1, 1, 0},    {3, 128, 1, 0, 3, 3, 0},     {5, 64, 1, 0, 5, 7, 0},
                         {9, 63, 2, 1, 8, 9, 0},     {9, 65, 3, 0, 9, 9, 0},      {33, 2560, 1, 0, 33, 33, 0},
                         {31, 2560, 5, 2, 29, 31, 0}, {8, 6912, 9, 0, 8, 8, 0},   {13, 255, 17, 3, 12, 14, 0},
                         {7, 1, 4, 0, 7, 7, 0},      {6, 100, 0, 0, 6, 6, 0},     {6, 100, 3, 4, 4, 6, 0},
                         {9, 65536, 5, 0, 9, 9, 1},  {5, 65536, 1, 0, 5, 5, 2},   {4, 6912, 8, 0, 4, 4, 3}};
    for (const C &c : c8) {
        std::vector<int8_t> w((size_t)(c.M * c.K)), q((size_t)(c.K * c.T + 1));
        for (size_t i = 0; i < w.size(); i++)
            w[i] = c.extreme == 1 ? (int8_t)127 : c.extreme ? (int8_t)((i & 1) ? 127 : -127) : (int8_t)(int)(rng() % 255 - 127);
        for (size_t i = 0; i < q.size(); i++)
            q[i] = c.extreme == 1 || c.extreme == 3 ? (int8_t)-128 : c.extreme ? (int8_t)((i & 1) ? 127 : -128)
                                                                      : (int8_t)(int)(rng() % 256 - 128);
        std::vector<float> as((size_t)c.T + 1), ws((size_t)c.M);
        for (auto &v : as) v = 1.f + (float)(rng() % 1000) * 0.1f;
        for (auto &v : ws) v = (float)(rng() % 1000 + 1) * 1e-4f;
        std::vector<float> y0((size_t)(c.T * c.ldy + 1), -1.f), y1((size_t)(c.T * c.ldy + 1), -1.f);
        b4j_i8_gemm(B4J_ISA_SCALAR, w.data(), ws.data(), c.M, c.K, q.data(), as.data(), c.T, y0.data(), c.ldy, c.mb, c.me);
        emu_kernels_avx512_vnni.i8_gemm(w.data(), ws.data(), c.K, q.data(), as.data(), c.T, y1.data(), c.ldy, c.mb, c.me);
        i8_cases++;
        if (memcmp(y0.data(), y1.data(), y0.size() * sizeof(float)) != 0) {
            i8_failures++;
            std::printf("FAIL avx512-vnni (emulated) i8_gemm M=%lld K=%lld T=%lld rows [%lld,%lld)\n", (long long)c.M,
                        (long long)c.K, (long long)c.T, (long long)c.mb, (long long)c.me);
        }
    }
    std::printf("avx512-vnni (emulated intrinsics) i8_gemm: %d cases, %d failure(s)\n", i8_cases, i8_failures);

    /* Q4 GEMM: any byte (every nibble 0..15), row tiles of 4 with their remainders, token tiles of 4 with their
     * remainders, partial ranges, ldy > M, and the extremes: extreme 1 = nibbles 15 x -128, 2 = nibbles 0 x -128
     * (the largest dot), 3 = nibbles 0/15 x 127/-128. act_sum is the exact token sum, as the contract requires. */
    int q4_failures = 0, q4_cases = 0;
    std::vector<C> c4 = {{1, 64, 1, 0, 1, 1, 0},      {4, 128, 1, 0, 4, 4, 0},     {5, 192, 1, 0, 5, 7, 0},
                         {9, 64, 2, 1, 8, 9, 0},      {9, 320, 3, 0, 9, 9, 0},     {33, 2560, 1, 0, 33, 33, 0},
                         {31, 2560, 5, 2, 29, 31, 0}, {8, 6912, 9, 0, 8, 8, 0},    {13, 256, 17, 3, 12, 14, 0},
                         {7, 64, 4, 0, 7, 7, 0},      {6, 128, 0, 0, 6, 6, 0},     {6, 128, 3, 4, 4, 6, 0},
                         {9, 65536, 5, 0, 9, 9, 1},   {5, 65536, 1, 0, 5, 5, 2},   {4, 6912, 8, 0, 4, 4, 3}};
    for (const C &c : c4) {
        std::vector<uint8_t> w((size_t)(c.M * c.K / 2));
        std::vector<int8_t> q((size_t)(c.K * c.T + 1));
        for (size_t i = 0; i < w.size(); i++)
            w[i] = c.extreme == 1 ? (uint8_t)0xff : c.extreme == 2 ? (uint8_t)0 : c.extreme ? (uint8_t)((i & 1) ? 0x0f : 0xf0)
                                                                                              : (uint8_t)rng();
        for (size_t i = 0; i < q.size(); i++)
            q[i] = c.extreme == 1 || c.extreme == 2 ? (int8_t)-128 : c.extreme ? (int8_t)((i % 3) ? -128 : 127)
                                                                               : (int8_t)(int)(rng() % 256 - 128);
        std::vector<float> as((size_t)c.T + 1), ws((size_t)c.M);
        std::vector<int32_t> S((size_t)c.T + 1, 0);
        for (int64_t t = 0; t < c.T; t++)
            for (int64_t k = 0; k < c.K; k++) S[(size_t)t] += q[(size_t)(t * c.K + k)];
        for (auto &v : as) v = 1.f + (float)(rng() % 1000) * 0.1f;
        for (auto &v : ws) v = (float)(rng() % 1000 + 1) * 1e-4f;
        std::vector<float> y0((size_t)(c.T * c.ldy + 1), -1.f), y1((size_t)(c.T * c.ldy + 1), -1.f);
        b4j_q4_gemm(B4J_ISA_SCALAR, w.data(), ws.data(), c.M, c.K, q.data(), as.data(), S.data(), c.T, y0.data(), c.ldy,
                    c.mb, c.me);
        emu_kernels_avx512_vnni.q4_gemm(w.data(), ws.data(), c.K, q.data(), as.data(), S.data(), c.T, y1.data(), c.ldy,
                                        c.mb, c.me);
        q4_cases++;
        if (memcmp(y0.data(), y1.data(), y0.size() * sizeof(float)) != 0) {
            q4_failures++;
            std::printf("FAIL avx512-vnni (emulated) q4_gemm M=%lld K=%lld T=%lld rows [%lld,%lld)\n", (long long)c.M,
                        (long long)c.K, (long long)c.T, (long long)c.mb, (long long)c.me);
        }
    }
    std::printf("avx512-vnni (emulated intrinsics) q4_gemm: %d cases, %d failure(s)\n", q4_cases, q4_failures);

    /* The MAC ceiling loop: it runs (through the stand-ins) and counts 12 chains x 64 MACs per round. */
    const int64_t macs = emu_kernels_avx512_vnni.int8_mac_loop(3);
    const int mac_failures = macs != 3 * 12 * 64;
    std::printf("avx512-vnni (emulated intrinsics) int8_mac_loop: %lld MACs for 3 rounds%s\n", (long long)macs,
                mac_failures ? " FAIL (expected 2304)" : "");
    return failures || i8_failures || q4_failures || mac_failures ? 1 : 0;
}
