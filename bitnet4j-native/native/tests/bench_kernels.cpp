/* Quick single-thread timing per supported ISA: I2_S GEMV (T=1) and prefill (T=4, 8), F16 GEMV, the full
 * output projection in F16 against its I8 copy (T=1, 8), and the lookup-table kernels against I2_S on the
 * same data (T=1, 8, 32; the 2B4T shapes), interleaved per case.
 * Not a test: numbers depend on the machine and its load. Usage: bench_kernels [iterations] [lut [threads]]
 * (with threads > 1 the rows are split across threads, as the runtime does), bench_kernels [iterations]
 * f16 [threads] (the F16 output projection alone at T=1..8, the rows split the same way), or bench_kernels [iterations]
 * lut-cold: T=1 over 96 MiB of copies of each matrix in turn, so the weights come from DRAM as in decoding
 * (the plain runs reuse one matrix, which then sits in L2/L3). bench_kernels [iterations] head [threads]: the
 * whole 128256 x 2560 output projection as I8 against its Q4 copy, T=1 and 8, rows split across threads. */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "bitnet4j/bitnet4j.h"

template <class F>
static double best_ns(int n, F f) {
    f();  /* warm-up */
    double best = 1e30;
    for (int i = 0; i < n; i++) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        if (ns < best) best = ns;
    }
    return best;
}

/* I2_S vs LUT on the same random matrix and activations; the scalar rows only at T=1 (slow). */
static int bench_lut(int iters, int threads) {
    const int64_t shapes[][2] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
    std::mt19937 rng(1);
    const int simd_isa = b4j_isa_supported(B4J_ISA_AVX2) ? B4J_ISA_AVX2 : b4j_isa_best();
    for (int layout : {B4J_LAYOUT_TL2, B4J_LAYOUT_TL1}) {
        if (!b4j_lut_supported(layout)) continue;
        const int lut_isa = layout == B4J_LAYOUT_TL2 ? B4J_ISA_AVX2 : B4J_ISA_NEON;
        const char *lname = layout == B4J_LAYOUT_TL2 ? "tl2" : "tl1";
        for (auto &s : shapes) {
            const int64_t M = s[0], K = s[1];
            std::vector<uint8_t> w((size_t)(M * K / 4));
            for (auto &b : w) {
                b = 0;
                for (int j = 0; j < 4; j++) b = (uint8_t)((b << 2) | (rng() % 3));
            }
            std::vector<uint8_t> packed((size_t)b4j_lut_packed_bytes(layout, M, K));
            b4j_lut_pack(layout, w.data(), M, K, packed.data(), 0, M);
            for (int64_t T : {1, 8, 32}) {
                std::vector<int8_t> q((size_t)(K * T));
                for (auto &v : q) v = (int8_t)(int)(rng() % 256 - 128);
                std::vector<float> as((size_t)T, 10.f), y((size_t)(M * T));
                std::vector<int32_t> sum((size_t)T, 0);
                const int n = T == 32 ? (iters + 4) / 5 : iters;
                /* rows split in tile multiples across threads, as the runtime would */
                auto split = [&](auto call) {
                    if (threads <= 1) { call(0, M); return; }
                    std::vector<std::thread> pool;
                    const int64_t per = (M / 32 + threads - 1) / threads * 32;
                    for (int i = 0; i < threads; i++) {
                        int64_t b = i * per < M ? i * per : M, e = (i + 1) * per < M ? (i + 1) * per : M;
                        pool.emplace_back([=] { call(b, e); });
                    }
                    for (auto &th : pool) th.join();
                };
                auto i2s = [&](int isa) {
                    split([&, isa](int64_t b, int64_t e) {
                        b4j_i2s_gemm(isa, w.data(), 1.f, M, K, q.data(), as.data(), sum.data(), T, y.data(), M, b, e);
                    });
                };
                auto lut = [&](int isa) {
                    split([&, isa](int64_t b, int64_t e) {
                        b4j_lut_gemm(isa, layout, packed.data(), 1.f, M, K, q.data(), as.data(), sum.data(), T,
                                     y.data(), M, b, e);
                    });
                };
                double a = best_ns(n, [&] { i2s(simd_isa); });
                double b = best_ns(n, [&] { lut(lut_isa); });
                double a2 = best_ns(n, [&] { i2s(simd_isa); });  /* again: interleaved, the load drifts */
                double b2 = best_ns(n, [&] { lut(lut_isa); });
                a = a < a2 ? a : a2;
                b = b < b2 ? b : b2;
                std::printf("[%5lld x %5lld] T=%-2lld i2s-%s %11.0f ns  %s-%s %11.0f ns  (%5.2f GB/s vs %5.2f GB/s)  "
                            "lut/i2s %.2f\n",
                            (long long)M, (long long)K, (long long)T, b4j_isa_name(simd_isa), a, lname,
                            b4j_isa_name(lut_isa), b, (double)w.size() / a, (double)packed.size() / b, b / a);
                if (T == 1 && threads <= 1) {
                    double sa = best_ns(1, [&] { i2s(B4J_ISA_SCALAR); });
                    double sb = best_ns(1, [&] { lut(B4J_ISA_SCALAR); });
                    std::printf("[%5lld x %5lld] T=1  i2s-scalar %9.0f ns  %s-scalar %9.0f ns\n", (long long)M,
                                (long long)K, sa, lname, sb);
                }
            }
        }
    }
    return 0;
}

/* Decode-like GEMV: rotate through enough copies of the matrix that every call streams it from DRAM. */
static int bench_lut_cold(int iters) {
    const int64_t shapes[][2] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
    std::mt19937 rng(1);
    if (!b4j_lut_supported(B4J_LAYOUT_TL2) && !b4j_lut_supported(B4J_LAYOUT_TL1)) return 0;
    const int layout = b4j_lut_supported(B4J_LAYOUT_TL2) ? B4J_LAYOUT_TL2 : B4J_LAYOUT_TL1;
    const int lut_isa = layout == B4J_LAYOUT_TL2 ? B4J_ISA_AVX2 : B4J_ISA_NEON;
    const int simd_isa = b4j_isa_supported(B4J_ISA_AVX2) ? B4J_ISA_AVX2 : b4j_isa_best();
    for (auto &s : shapes) {
        const int64_t M = s[0], K = s[1];
        std::vector<uint8_t> w0((size_t)(M * K / 4));
        for (auto &b : w0) {
            b = 0;
            for (int j = 0; j < 4; j++) b = (uint8_t)((b << 2) | (rng() % 3));
        }
        const int64_t pbytes = b4j_lut_packed_bytes(layout, M, K);
        const int copies = (int)((96ll << 20) / (int64_t)w0.size()) + 1;
        std::vector<std::vector<uint8_t>> w(copies, w0), packed(copies, std::vector<uint8_t>((size_t)pbytes));
        for (auto &p : packed) b4j_lut_pack(layout, w0.data(), M, K, p.data(), 0, M);
        std::vector<int8_t> q((size_t)K);
        for (auto &v : q) v = (int8_t)(int)(rng() % 256 - 128);
        float as = 10.f;
        int32_t sum = 0;
        std::vector<float> y((size_t)M);
        auto rotate = [&](bool lut) {
            auto t0 = std::chrono::steady_clock::now();
            for (int c = 0; c < copies; c++) {
                if (lut) b4j_lut_gemm(lut_isa, layout, packed[c].data(), 1.f, M, K, q.data(), &as, &sum, 1, y.data(), M, 0, M);
                else b4j_i2s_gemm(simd_isa, w[c].data(), 1.f, M, K, q.data(), &as, &sum, 1, y.data(), M, 0, M);
            }
            return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / copies;
        };
        double a = 1e30, b = 1e30;
        for (int i = 0; i < (iters + 9) / 10; i++) {  /* interleaved: the machine's load drifts */
            double z = rotate(true), x = rotate(false);
            if (x < a) a = x;
            if (z < b) b = z;
        }
        std::printf("cold [%5lld x %5lld] T=1  i2s-%s %9.0f ns (%5.2f GB/s)  %s-%s %9.0f ns (%5.2f GB/s)  lut/i2s %.2f\n",
                    (long long)M, (long long)K, b4j_isa_name(simd_isa), a, (double)w0.size() / a,
                    layout == B4J_LAYOUT_TL2 ? "tl2" : "tl1", b4j_isa_name(lut_isa), b, (double)pbytes / b, b / a);
    }
    return 0;
}

/* The tied output projection [128256 x 2560] as I8 (313 MiB) and as Q4 (157 MiB), interleaved per round since
 * the machine's load drifts: both far beyond any cache, so decode (T=1) streams them from DRAM. */
static int bench_head(int iters, int threads) {
    const int64_t M = 128256, K = 2560;
    std::mt19937 rng(1);
    std::vector<uint16_t> wh((size_t)(M * K));
    for (auto &v : wh) v = (uint16_t)(0x2000 | (rng() & 0x83ff));
    std::vector<int8_t> w8((size_t)(M * K));
    std::vector<uint8_t> w4((size_t)(M * K / 2));
    std::vector<float> s8((size_t)M), s4((size_t)M);
    b4j_i8_quantize_rows(wh.data(), M, K, w8.data(), s8.data(), 0, M);
    b4j_q4_quantize_rows(wh.data(), M, K, w4.data(), s4.data(), 0, M);
    std::vector<uint16_t>().swap(wh);
    const int isa = b4j_isa_best();
    /* rows split in multiples of 8 across threads, as the runtime would */
    auto split = [&](auto call) {
        if (threads <= 1) { call(0, M); return; }
        std::vector<std::thread> pool;
        const int64_t per = (M / 8 + threads - 1) / threads * 8;
        for (int i = 0; i < threads; i++) {
            int64_t b = i * per < M ? i * per : M, e = (i + 1) * per < M ? (i + 1) * per : M;
            pool.emplace_back([=] { call(b, e); });
        }
        for (auto &th : pool) th.join();
    };
    for (int64_t T : {1, 8}) {
        std::vector<int8_t> q((size_t)(K * T));
        for (auto &v : q) v = (int8_t)(int)(rng() % 256 - 128);
        std::vector<float> as((size_t)T, 10.f), y((size_t)(M * T));
        std::vector<int32_t> sum((size_t)T, 0);
        for (int64_t t = 0; t < T; t++)
            for (int64_t k = 0; k < K; k++) sum[(size_t)t] += q[(size_t)(t * K + k)];
        auto i8 = [&] {
            split([&](int64_t b, int64_t e) {
                b4j_i8_gemm(isa, w8.data(), s8.data(), M, K, q.data(), as.data(), T, y.data(), M, b, e);
            });
        };
        auto q4 = [&] {
            split([&](int64_t b, int64_t e) {
                b4j_q4_gemm(isa, w4.data(), s4.data(), M, K, q.data(), as.data(), sum.data(), T, y.data(), M, b, e);
            });
        };
        double a = 1e30, b = 1e30;
        for (int round = 0; round < 3; round++) {
            double x = best_ns(iters, i8), z = best_ns(iters, q4);
            if (x < a) a = x;
            if (z < b) b = z;
        }
        const double b8 = (double)(M * K + M * 4), b4 = (double)(M * K / 2 + M * 4);
        std::printf("head [%lld x %lld] T=%lld %s threads=%d  i8 %10.0f ns (%5.2f GB/s)  q4 %10.0f ns (%5.2f GB/s)  "
                    "q4/i8 %.2f\n",
                    (long long)M, (long long)K, (long long)T, b4j_isa_name(isa), threads, a, b8 / a, b, b4 / b, b / a);
    }
    return 0;
}

/* The tied output projection [128256 x 2560] in F16 at the batch sizes of continuous batching; rows split
 * across threads as the runtime does. Far beyond any cache: each call streams 626 MiB. */
static int bench_f16(int iters, int threads) {
    const int64_t M = 128256, K = 2560;
    std::mt19937 rng(1);
    std::vector<uint16_t> w((size_t)(M * K));
    for (auto &v : w) v = (uint16_t)(0x2000 | (rng() & 0x83ff));
    for (int64_t T : {1, 2, 3, 4, 8}) {
        std::vector<uint16_t> x((size_t)(K * T));
        for (auto &v : x) v = (uint16_t)(0x3800 | (rng() & 0x83ff));
        std::vector<float> y((size_t)(M * T));
        for (int isa = 1; isa < B4J_ISA_COUNT; isa++) {
            if (!b4j_isa_supported(isa)) continue;
            double ns = best_ns(iters, [&] {
                if (threads <= 1) {
                    b4j_f16_gemm(isa, w.data(), M, K, x.data(), T, y.data(), M, 0, M);
                    return;
                }
                std::vector<std::thread> pool;
                const int64_t per = (M / 32 + threads - 1) / threads * 32;
                for (int i = 0; i < threads; i++) {
                    int64_t b = i * per < M ? i * per : M, e = (i + 1) * per < M ? (i + 1) * per : M;
                    pool.emplace_back([&, b, e] { b4j_f16_gemm(isa, w.data(), M, K, x.data(), T, y.data(), M, b, e); });
                }
                for (auto &th : pool) th.join();
            });
            std::printf("f16 [%6lld x %5lld] T=%lld %-12s threads=%d %12.0f ns/call  %10.0f ns/token  %6.2f GB/s weights\n",
                        (long long)M, (long long)K, (long long)T, b4j_isa_name(isa), threads, ns, ns / T,
                        (double)(M * K * 2) / ns);
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    const int iters = argc > 1 ? std::atoi(argv[1]) : 50;
    if (argc > 2 && std::strcmp(argv[2], "lut-cold") == 0) return bench_lut_cold(iters);
    if (argc > 2 && std::strcmp(argv[2], "head") == 0) return bench_head(iters, argc > 3 ? std::atoi(argv[3]) : 1);
    if (argc > 2 && std::strcmp(argv[2], "f16") == 0) return bench_f16(iters, argc > 3 ? std::atoi(argv[3]) : 1);
    if (argc > 2 && std::strcmp(argv[2], "lut") == 0) return bench_lut(iters, argc > 3 ? std::atoi(argv[3]) : 1);
    /* the int8 MAC ceiling of each ISA on one thread: what the i2s lines' GMAC/s is a fraction of */
    double peak[B4J_ISA_COUNT] = {0};
    for (int isa = 0; isa < B4J_ISA_COUNT; isa++) {
        if (!b4j_isa_supported(isa)) continue;
        int64_t macs = 0;
        const double ns = best_ns(5, [&] { macs = b4j_int8_mac_loop(isa, 1 << 20); });
        peak[isa] = (double)macs / ns;
        std::printf("int8 MAC ceiling %-12s %7.1f GMAC/s\n", b4j_isa_name(isa), peak[isa]);
    }
    const int64_t shapes[][2] = {{2560, 2560}, {6912, 2560}, {2560, 6912}};
    std::mt19937 rng(1);
    for (auto &s : shapes) {
        const int64_t M = s[0], K = s[1];
        std::vector<uint8_t> w((size_t)(M * K / 4));
        for (auto &b : w) {  /* codes 0..2 only */
            b = 0;
            for (int j = 0; j < 4; j++) b = (uint8_t)((b << 2) | (rng() % 3));
        }
        for (int64_t T : {1, 4, 8, 32, 128}) {
            std::vector<int8_t> q((size_t)(K * T));
            for (auto &v : q) v = (int8_t)(int)(rng() % 256 - 128);
            std::vector<float> as((size_t)T, 10.f), y((size_t)(M * T));
            std::vector<int32_t> sum((size_t)T, 0);
            for (int isa = 0; isa < B4J_ISA_COUNT; isa++) {
                if (!b4j_isa_supported(isa)) continue;
                if (isa == B4J_ISA_SCALAR && T != 1) continue;  /* the reference is slow and T-linear */
                const int n = isa == B4J_ISA_SCALAR ? 3 : iters;  /* the reference is slow */
                b4j_i2s_gemm(isa, w.data(), 1.f, M, K, q.data(), as.data(), sum.data(), T, y.data(), M, 0, M);
                double best = 1e30;
                for (int i = 0; i < n; i++) {
                    auto t0 = std::chrono::steady_clock::now();
                    b4j_i2s_gemm(isa, w.data(), 1.f, M, K, q.data(), as.data(), sum.data(), T, y.data(), M, 0, M);
                    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
                    if (ns < best) best = ns;
                }
                std::printf("i2s [%5lld x %5lld] T=%-3lld %-12s %12.0f ns/call  %8.0f ns/token  %6.2f GB/s weights"
                            "  %6.1f GMAC/s (%2.0f %% of the ceiling)\n", (long long)M, (long long)K, (long long)T,
                            b4j_isa_name(isa), best, best / T, (double)(M * K / 4) / best, (double)(M * K) * T / best,
                            100.0 * (double)(M * K) * T / best / peak[isa]);
            }
        }
    }
    /* F16 GEMV (the tied output projection is [128256 x 2560]; a 8192-row slice keeps this quick) */
    {
        const int64_t M = 8192, K = 2560;
        std::vector<uint16_t> w((size_t)(M * K)), x((size_t)K);
        for (auto &v : w) v = (uint16_t)(0x3000 | (rng() & 0x83ff));
        for (auto &v : x) v = (uint16_t)(0x3800 | (rng() & 0x83ff));
        std::vector<float> y((size_t)M);
        for (int isa = 0; isa < B4J_ISA_COUNT; isa++) {
            if (!b4j_isa_supported(isa)) continue;
            const int n = isa == B4J_ISA_SCALAR ? 3 : iters;
            double best = 1e30;
            for (int i = 0; i < n; i++) {
                auto t0 = std::chrono::steady_clock::now();
                b4j_f16_gemm(isa, w.data(), M, K, x.data(), 1, y.data(), M, 0, M);
                double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
                if (ns < best) best = ns;
            }
            std::printf("f16 [%5lld x %5lld] T=1 %-12s %12.0f ns/call  %6.2f GB/s weights\n", (long long)M,
                        (long long)K, b4j_isa_name(isa), best, (double)(M * K * 2) / best);
        }
    }
    /* The whole tied output projection, [128256 x 2560]: F16 (626 MiB) against its I8 copy (313 MiB codes +
     * 0.5 MiB scales), decode (T=1) and batches of 4 and 8. Far beyond any cache, so this is DRAM streaming; the
     * scalar reference is skipped (seconds per call). Few iterations: each call moves hundreds of MB. */
    {
        const int64_t M = 128256, K = 2560;
        const int n = iters < 5 ? iters : 5;
        std::vector<uint16_t> wh((size_t)(M * K));
        for (auto &v : wh) v = (uint16_t)(0x2000 | (rng() & 0x83ff));
        std::vector<int8_t> w8((size_t)(M * K));
        std::vector<float> ws((size_t)M);
        b4j_i8_quantize_rows(wh.data(), M, K, w8.data(), ws.data(), 0, M);
        for (int64_t T : {1, 4, 8}) {
            std::vector<uint16_t> xh((size_t)(K * T));
            for (auto &v : xh) v = (uint16_t)(0x3800 | (rng() & 0x83ff));
            std::vector<int8_t> q((size_t)(K * T));
            for (auto &v : q) v = (int8_t)(int)(rng() % 256 - 128);
            std::vector<float> as((size_t)T, 10.f), y((size_t)(M * T));
            for (int isa = 1; isa < B4J_ISA_COUNT; isa++) {
                if (!b4j_isa_supported(isa)) continue;
                for (int kind = 0; kind < 2; kind++) {
                    double best = 1e30;
                    for (int i = 0; i < n; i++) {
                        auto t0 = std::chrono::steady_clock::now();
                        if (kind == 0) b4j_f16_gemm(isa, wh.data(), M, K, xh.data(), T, y.data(), M, 0, M);
                        else b4j_i8_gemm(isa, w8.data(), ws.data(), M, K, q.data(), as.data(), T, y.data(), M, 0, M);
                        double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
                        if (ns < best) best = ns;
                    }
                    const double bytes = kind == 0 ? (double)(M * K * 2) : (double)(M * K + M * 4);
                    std::printf("%s [%6lld x %5lld] T=%lld %-12s %12.0f ns/call  %10.0f ns/token  %6.2f GB/s weights\n",
                                kind == 0 ? "f16" : "i8 ", (long long)M, (long long)K, (long long)T, b4j_isa_name(isa),
                                best, best / T, bytes / best);
                }
            }
        }
    }
    return 0;
}
