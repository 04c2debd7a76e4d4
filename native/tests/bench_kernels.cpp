/* Quick single-thread timing per supported ISA: I2_S GEMV (T=1) and prefill (T=4, 8), F16 GEMV, and the
 * full output projection in F16 against its I8 copy (T=1, 8).
 * Not a test: numbers depend on the machine and its load. Usage: bench_kernels [iterations] */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bitnet4j/bitnet4j.h"

int main(int argc, char **argv) {
    const int iters = argc > 1 ? std::atoi(argv[1]) : 50;
    const int64_t shapes[][2] = {{2560, 2560}, {6912, 2560}, {2560, 6912}};
    std::mt19937 rng(1);
    for (auto &s : shapes) {
        const int64_t M = s[0], K = s[1];
        std::vector<uint8_t> w((size_t)(M * K / 4));
        for (auto &b : w) {  /* codes 0..2 only */
            b = 0;
            for (int j = 0; j < 4; j++) b = (uint8_t)((b << 2) | (rng() % 3));
        }
        for (int64_t T : {1, 4, 8}) {
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
                std::printf("i2s [%5lld x %5lld] T=%lld %-12s %12.0f ns/call  %8.0f ns/token  %6.2f GB/s weights\n",
                            (long long)M, (long long)K, (long long)T, b4j_isa_name(isa), best, best / T,
                            (double)(M * K / 4) / best);
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
     * 0.5 MiB scales), decode (T=1) and a batch of 8. Far beyond any cache, so this is DRAM streaming; the
     * scalar reference is skipped (seconds per call). Few iterations: each call moves hundreds of MB. */
    {
        const int64_t M = 128256, K = 2560;
        const int n = iters < 5 ? iters : 5;
        std::vector<uint16_t> wh((size_t)(M * K));
        for (auto &v : wh) v = (uint16_t)(0x2000 | (rng() & 0x83ff));
        std::vector<int8_t> w8((size_t)(M * K));
        std::vector<float> ws((size_t)M);
        b4j_i8_quantize_rows(wh.data(), M, K, w8.data(), ws.data(), 0, M);
        for (int64_t T : {1, 8}) {
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
