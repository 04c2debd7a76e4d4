/* Native kernel tests: every supported ISA against the scalar reference (B4J_ISA_SCALAR).
 * quantize_i8s, i2s_gemm, i8_gemm and q4_gemm must match bit for bit; f16_gemm within a tolerance relative to sum|w*x|.
 * B4J_TEST_QUICK=1 trims the shape lists (for slow emulators; the full set takes ~40 s under qemu). */
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "bitnet4j/bitnet4j.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "test_common.h"

/* ------------------------------------------------------------------ helpers */


/* ------------------------------------------------------------------ quantize */

static void test_quantize_case(int isa, const std::vector<float> &x, int64_t n, int64_t rows, const char *what) {
    std::vector<int8_t> q0((size_t)(n * rows) + 64, 0x5a), q1((size_t)(n * rows) + 64, 0x5a);
    std::vector<float> s0((size_t)rows + 1, -1.f), s1((size_t)rows + 1, -1.f);
    std::vector<int32_t> S0((size_t)rows + 1, -7), S1((size_t)rows + 1, -7);
    int rc0 = b4j_quantize_i8s(B4J_ISA_SCALAR, x.data(), n, rows, q0.data(), s0.data(), S0.data());
    int rc1 = b4j_quantize_i8s(isa, x.data(), n, rows, q1.data(), s1.data(), S1.data());
    CHECK(rc0 == B4J_OK && rc1 == B4J_OK, "quantize rc %d %d", rc0, rc1);
    CHECK(std::memcmp(q0.data(), q1.data(), q0.size()) == 0, "%s quantize %s n=%lld rows=%lld: q differs",
          b4j_isa_name(isa), what, (long long)n, (long long)rows);
    for (int64_t r = 0; r <= rows; r++) {
        CHECK(fbits(s0[(size_t)r]) == fbits(s1[(size_t)r]), "%s quantize %s n=%lld row %lld: scale %a vs %a",
              b4j_isa_name(isa), what, (long long)n, (long long)r, s0[(size_t)r], s1[(size_t)r]);
        CHECK(S0[(size_t)r] == S1[(size_t)r], "%s quantize %s n=%lld row %lld: sum %d vs %d", b4j_isa_name(isa),
              what, (long long)n, (long long)r, S0[(size_t)r], S1[(size_t)r]);
    }
}

static void test_quantize(int isa) {
    std::mt19937 rng(1234);
    const long before = failures;
    std::vector<int64_t> ns = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 2560, 6912};
    for (int64_t n : ns) {
        const int64_t rows = 3;
        std::vector<float> x((size_t)(n * rows));
        auto fill = [&](auto gen) { for (auto &v : x) v = gen(); };
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        std::normal_distribution<float> g(0.f, 1.f);
        fill([&] { return u(rng) * 3.f; });
        test_quantize_case(isa, x, n, rows, "uniform");
        fill([&] { return g(rng); });
        x[(size_t)(rng() % x.size())] = 40.f;  /* one outlier, as in real activations */
        test_quantize_case(isa, x, n, rows, "normal+outlier");
        fill([] { return 0.f; });
        test_quantize_case(isa, x, n, rows, "zero");
        fill([&] { return u(rng) * 3e38f; });
        test_quantize_case(isa, x, n, rows, "huge");
        fill([&] { return u(rng) * 1e-6f; });  /* below the 1e-5 floor */
        test_quantize_case(isa, x, n, rows, "tiny");
        fill([&] { return bitsf((uint32_t)(rng() & 0x807fffffu)); });  /* denormals of both signs */
        test_quantize_case(isa, x, n, rows, "denormal");
        /* max 127 gives s = 1, so the halves land exactly on .5: exercises round-half-even */
        fill([&] { return (float)((int)(rng() % 255) - 127) * 0.5f; });
        x[0] = 127.f;
        test_quantize_case(isa, x, n, rows, "ties");
        fill([&] { return bitsf((uint32_t)rng()); });  /* any bit pattern: NaN, Inf, everything */
        test_quantize_case(isa, x, n, rows, "random-bits");
        fill([&] { return u(rng); });
        x[(size_t)(rng() % x.size())] = INFINITY;
        x[(size_t)(rng() % x.size())] = NAN;
        test_quantize_case(isa, x, n, rows, "inf+nan");
    }
    std::printf("  quantize_i8s: %s\n", failures == before ? "ok (bit-exact)" : "FAILED");
}

/* ------------------------------------------------------------------ I2_S GEMM */

struct I2sCase {
    int64_t M, K, T, m_begin, m_end, ldy;
};

enum ActKind { ACT_RANDOM, ACT_MIN, ACT_MAX, ACT_ALT };

static void test_i2s_case(int isa, const I2sCase &c, std::mt19937 &rng, ActKind act, int code_fill,
                          const char *what) {
    std::vector<uint8_t> codes((size_t)(c.M * c.K));
    for (auto &v : codes) v = code_fill >= 0 ? (uint8_t)code_fill : (uint8_t)(rng() % 3);
    std::vector<uint8_t> w = pack_i2s(codes, c.M, c.K);
    std::vector<int8_t> q((size_t)(c.K * c.T + 1));
    for (size_t i = 0; i < q.size(); i++) {
        switch (act) {
            case ACT_RANDOM: q[i] = (int8_t)(int)(rng() % 256 - 128); break;
            case ACT_MIN: q[i] = -128; break;
            case ACT_MAX: q[i] = 127; break;
            case ACT_ALT: q[i] = (i & 1) ? 127 : -128; break;
        }
    }
    std::vector<float> as((size_t)c.T + 1);
    std::vector<int32_t> sum((size_t)c.T + 1);
    std::uniform_real_distribution<float> u(0.5f, 200.f);
    for (int64_t t = 0; t < c.T; t++) {
        as[(size_t)t] = u(rng);
        int32_t s = 0;
        for (int64_t k = 0; k < c.K; k++) s += q[(size_t)(t * c.K + k)];
        sum[(size_t)t] = s;
    }
    const float ws = 1.0f / 3.0f + (float)(rng() % 100) * 0.01f;
    const size_t ny = (size_t)(c.T > 0 ? c.T * c.ldy : 1);
    /* sentinel: anything outside [m_begin, m_end) x [0, T) must stay untouched */
    std::vector<float> y0(ny, bitsf(0x7fc0dead)), y1(ny, bitsf(0x7fc0dead));
    int rc0 = b4j_i2s_gemm(B4J_ISA_SCALAR, w.data(), ws, c.M, c.K, q.data(), as.data(), sum.data(), c.T, y0.data(),
                           c.ldy, c.m_begin, c.m_end);
    int rc1 = b4j_i2s_gemm(isa, w.data(), ws, c.M, c.K, q.data(), as.data(), sum.data(), c.T, y1.data(), c.ldy,
                           c.m_begin, c.m_end);
    CHECK(rc0 == B4J_OK && rc1 == B4J_OK, "i2s rc %d %d", rc0, rc1);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < ny; i++)
        if (fbits(y0[i]) != fbits(y1[i])) { if (!bad) first = i; bad++; }
    CHECK(bad == 0,
          "%s i2s_gemm %s M=%lld K=%lld T=%lld rows [%lld,%lld) ldy=%lld: %zu values differ, first at %zu: %a vs %a",
          b4j_isa_name(isa), what, (long long)c.M, (long long)c.K, (long long)c.T, (long long)c.m_begin,
          (long long)c.m_end, (long long)c.ldy, bad, first, y0[first], y1[first]);
}

static void test_i2s(int isa) {
    std::mt19937 rng(42);
    const long before = failures;
    /* the 2B4T projection shapes, full row range, decode (T=1) and a small prefill */
    const int64_t shapes[4][2] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
    for (auto &s : shapes) {
        int64_t M = s[0], K = s[1];
        test_i2s_case(isa, {M, K, 1, 0, M, M}, rng, ACT_RANDOM, -1, "2b4t");
        if (!quick) test_i2s_case(isa, {M, K, 5, 0, M, M}, rng, ACT_RANDOM, -1, "2b4t");
        else test_i2s_case(isa, {M, K, 5, M / 2 - 3, M / 2 + 18, M}, rng, ACT_RANDOM, -1, "2b4t-slice");
    }
    /* small / odd shapes, every T up to 9 plus 16 and 17 */
    std::vector<int64_t> Ms = {1, 3, 5, 7, 31, 33};
    std::vector<int64_t> Ks = {128, 256, 384, 640, 6912};
    std::vector<int64_t> Ts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17};
    for (int64_t M : Ms)
        for (int64_t K : Ks)
            for (int64_t T : Ts) {
                if (quick && K == 6912 && T > 3 && T != 17) continue;
                test_i2s_case(isa, {M, K, T, 0, M, M}, rng, ACT_RANDOM, -1, "small");
                /* partial row range with odd bounds and ldy > M */
                if (M >= 5) test_i2s_case(isa, {M, K, T, 1, M - 2, M + 3}, rng, ACT_RANDOM, -1, "range");
            }
    /* more rows than one prefill row block, K split into several chunks, odd range, ldy > M */
    test_i2s_case(isa, {200, 6912, 6, 3, 197, 205}, rng, ACT_RANDOM, -1, "range-big");
    test_i2s_case(isa, {200, 6912, 12, 3, 197, 205}, rng, ACT_RANDOM, -1, "range-big");
    test_i2s_case(isa, {131, 4096 + 128, 9, 0, 131, 131}, rng, ACT_RANDOM, -1, "blocks");
    /* empty range and no tokens */
    test_i2s_case(isa, {33, 256, 3, 7, 7, 40}, rng, ACT_RANDOM, -1, "empty-range");
    test_i2s_case(isa, {33, 256, 0, 0, 33, 33}, rng, ACT_RANDOM, -1, "T=0");
    /* worst case for int16 accumulation: every product -256 (q=-128, code 2) or +254, over long K, in every
     * token tile shape (1-4 tokens, and 4 + 4, 4 + 4 + 1) */
    for (int64_t K : {6912, 16384}) {
        for (int64_t T : {1, 4, 5, 8, 9}) {
            test_i2s_case(isa, {9, K, T, 0, 9, 9}, rng, ACT_MIN, 2, "all q=-128 codes=2");
            test_i2s_case(isa, {9, K, T, 0, 9, 9}, rng, ACT_MAX, 2, "all q=127 codes=2");
            test_i2s_case(isa, {9, K, T, 0, 9, 9}, rng, ACT_ALT, 2, "q=+-alternating codes=2");
            test_i2s_case(isa, {9, K, T, 0, 9, 9}, rng, ACT_MIN, 0, "all q=-128 codes=0");
            test_i2s_case(isa, {9, K, T, 0, 9, 9}, rng, ACT_MIN, -1, "all q=-128 random codes");
            /* code 3 marks a corrupt tensor, but kernels must still agree with the reference (raw code 3) */
            test_i2s_case(isa, {9, K, T, 0, 9, 9}, rng, ACT_MIN, 3, "all q=-128 codes=3");
        }
    }
    /* the extreme dot must also be the true value, not merely equal to the reference */
    {
        const int64_t K = 16384;
        std::vector<uint8_t> codes((size_t)K, 2);
        std::vector<uint8_t> w = pack_i2s(codes, 1, K);
        std::vector<int8_t> q((size_t)K, -128);
        float as = 1.0f, y = 0;
        int32_t S = 0;  /* zero act_sum so y == dot */
        b4j_i2s_gemm(isa, w.data(), 1.0f, 1, K, q.data(), &as, &S, 1, &y, 1, 0, 1);
        CHECK(y == -256.0f * (float)K, "%s i2s extreme dot %f, want %f", b4j_isa_name(isa), y, -256.0 * K);
    }
    std::printf("  i2s_gemm: %s\n", failures == before ? "ok (bit-exact)" : "FAILED");
}

/* ------------------------------------------------------------------ F16 GEMM */

static uint16_t rand_half(std::mt19937 &rng) {
    /* values of magnitude ~[2^-6, 2^2) with random sign and mantissa, plus some zeros */
    if (rng() % 16 == 0) return 0;
    uint16_t e = (uint16_t)(9 + rng() % 8), m = (uint16_t)(rng() & 0x3ff), s = (uint16_t)((rng() & 1) << 15);
    return (uint16_t)(s | (e << 10) | m);
}

static void test_f16_case(int isa, int64_t M, int64_t K, int64_t T, int64_t mb, int64_t me, int64_t ldy,
                          std::mt19937 &rng) {
    std::vector<uint16_t> w((size_t)(M * K)), x((size_t)(K * T + 1));
    for (auto &v : w) v = rand_half(rng);
    for (auto &v : x) v = rand_half(rng);
    const size_t ny = (size_t)(T > 0 ? T * ldy : 1);
    std::vector<float> y0(ny, bitsf(0x7fc0dead)), y1(ny, bitsf(0x7fc0dead));
    int rc0 = b4j_f16_gemm(B4J_ISA_SCALAR, w.data(), M, K, x.data(), T, y0.data(), ldy, mb, me);
    int rc1 = b4j_f16_gemm(isa, w.data(), M, K, x.data(), T, y1.data(), ldy, mb, me);
    CHECK(rc0 == B4J_OK && rc1 == B4J_OK, "f16 rc %d %d", rc0, rc1);
    std::vector<float> wf(w.size()), xf(x.size());
    b4j_f16_to_f32(w.data(), wf.data(), (int64_t)w.size());
    b4j_f16_to_f32(x.data(), xf.data(), (int64_t)x.size());
    int bad = 0;
    for (int64_t t = 0; t < T; t++)
        for (int64_t m = 0; m < ldy; m++) {
            size_t i = (size_t)(t * ldy + m);
            if (m < mb || m >= me) {
                if (fbits(y1[i]) != 0x7fc0dead) bad++;
                continue;
            }
            double mag = 0;
            for (int64_t k = 0; k < K; k++) mag += std::fabs((double)wf[(size_t)(m * K + k)] * xf[(size_t)(t * K + k)]);
            double tol = 1e-5 * mag + 1e-6;
            if (!(std::fabs((double)y0[i] - (double)y1[i]) <= tol)) {
                if (!bad)
                    std::printf("  f16 mismatch t=%lld m=%lld: ref %.9g got %.9g tol %.3g\n", (long long)t,
                                (long long)m, y0[i], y1[i], tol);
                bad++;
            }
        }
    CHECK(bad == 0, "%s f16_gemm M=%lld K=%lld T=%lld rows [%lld,%lld) ldy=%lld: %d bad values", b4j_isa_name(isa),
          (long long)M, (long long)K, (long long)T, (long long)mb, (long long)me, (long long)ldy, bad);
}

static void test_f16(int isa) {
    std::mt19937 rng(7);
    const long before = failures;
    std::vector<int64_t> Ks = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 640, 2560};
    std::vector<int64_t> Ts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17};
    for (int64_t K : Ks)
        for (int64_t T : Ts) {
            if (quick && K >= 640 && T > 4 && T != 17) continue;
            test_f16_case(isa, 7, K, T, 0, 7, 7, rng);
            test_f16_case(isa, 6, K, T, 1, 5, 9, rng);
        }
    /* T > 1 tiles (2 rows x up to 5 tokens, groups 5+2, 4+2, 5+3, 5+4): every group split, K tails and
     * K < 8, odd row counts (the 1-row remainder), odd starts, enough rows for the prefetching path, ldy > M */
    for (int64_t K : {1, 7, 8, 9, 64, 1000, 2560, 2561, 6912})
        for (int64_t T = 2; T <= 9; T++) {
            if (quick && K >= 2560 && T != 8) continue;
            test_f16_case(isa, 11, K, T, 1, 10, 13, rng);
            test_f16_case(isa, 12, K, T, 3, 11, 12, rng);
        }
    test_f16_case(isa, 33, 2560, 1, 0, 33, 33, rng);
    test_f16_case(isa, 33, 6912, 2, 3, 30, 35, rng);
    test_f16_case(isa, 5, 64, 3, 2, 2, 5, rng);  /* empty range */
    test_f16_case(isa, 5, 64, 0, 0, 5, 5, rng);  /* no tokens */
    std::printf("  f16_gemm: %s\n", failures == before ? "ok (within tolerance)" : "FAILED");
}

/* ------------------------------------------------------------------ I8 (quantized output projection) */

struct I8Case {
    int64_t M, K, T, m_begin, m_end, ldy;
};

enum I8Fill { I8_RANDOM, I8_EXTREME_MIN, I8_EXTREME_MAX, I8_EXTREME_ALT };

/* Random codes in [-127, 127]; the extremes put +-127 weights against -128 / 127 activations everywhere. */
static void test_i8_case(int isa, const I8Case &c, std::mt19937 &rng, I8Fill fill, const char *what) {
    std::vector<int8_t> w((size_t)(c.M * c.K)), q((size_t)(c.K * c.T + 1));
    for (size_t i = 0; i < w.size(); i++) {
        switch (fill) {
            case I8_RANDOM: w[i] = (int8_t)(int)(rng() % 255 - 127); break;
            case I8_EXTREME_MIN: w[i] = 127; break;
            case I8_EXTREME_MAX: w[i] = -127; break;
            case I8_EXTREME_ALT: w[i] = (i & 1) ? -127 : 127; break;
        }
    }
    for (size_t i = 0; i < q.size(); i++) {
        switch (fill) {
            case I8_RANDOM: q[i] = (int8_t)(int)(rng() % 256 - 128); break;
            case I8_EXTREME_MIN: q[i] = -128; break;
            case I8_EXTREME_MAX: q[i] = -128; break;
            case I8_EXTREME_ALT: q[i] = (i & 1) ? -128 : 127; break;
        }
    }
    std::vector<float> as((size_t)c.T + 1), ws((size_t)c.M);
    std::uniform_real_distribution<float> u(0.5f, 200.f), us(1e-4f, 1e-1f);
    for (auto &v : as) v = u(rng);
    for (auto &v : ws) v = us(rng);
    if (c.M > 2) ws[1] = 0.0f;  /* a zero row's scale */
    const size_t ny = (size_t)(c.T > 0 ? c.T * c.ldy : 1);
    std::vector<float> y0(ny, bitsf(0x7fc0dead)), y1(ny, bitsf(0x7fc0dead));
    int rc0 = b4j_i8_gemm(B4J_ISA_SCALAR, w.data(), ws.data(), c.M, c.K, q.data(), as.data(), c.T, y0.data(), c.ldy,
                          c.m_begin, c.m_end);
    int rc1 = b4j_i8_gemm(isa, w.data(), ws.data(), c.M, c.K, q.data(), as.data(), c.T, y1.data(), c.ldy, c.m_begin,
                          c.m_end);
    CHECK(rc0 == B4J_OK && rc1 == B4J_OK, "i8 rc %d %d", rc0, rc1);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < ny; i++)
        if (fbits(y0[i]) != fbits(y1[i])) { if (!bad) first = i; bad++; }
    CHECK(bad == 0,
          "%s i8_gemm %s M=%lld K=%lld T=%lld rows [%lld,%lld) ldy=%lld: %zu values differ, first at %zu: %a vs %a",
          b4j_isa_name(isa), what, (long long)c.M, (long long)c.K, (long long)c.T, (long long)c.m_begin,
          (long long)c.m_end, (long long)c.ldy, bad, first, y0[first], y1[first]);
}

static void test_i8(int isa) {
    std::mt19937 rng(8);
    const long before = failures;
    /* a 4096-row slice of the 128256 x 2560 tied projection: decode and a batch of 8 */
    test_i8_case(isa, {4100, 2560, 1, 0, 4096, 4100}, rng, I8_RANDOM, "lm-head-slice");
    test_i8_case(isa, {4100, 2560, 8, 0, 4096, 4100}, rng, I8_RANDOM, "lm-head-slice");
    std::vector<int64_t> Ms = {1, 3, 5, 31, 33};
    std::vector<int64_t> Ks = {1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 256, 2560, 6912};
    std::vector<int64_t> Ts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17};
    for (int64_t M : Ms)
        for (int64_t K : Ks)
            for (int64_t T : Ts) {
                if ((quick || K < 100) && K >= 2560 && T > 3 && T != 17) continue;
                if (K < 100 && T != 1 && T != 5 && T != 17) continue;  /* odd K: tails, a few T suffice */
                test_i8_case(isa, {M, K, T, 0, M, M}, rng, I8_RANDOM, "small");
                if (M >= 5) test_i8_case(isa, {M, K, T, 1, M - 2, M + 3}, rng, I8_RANDOM, "range");
            }
    test_i8_case(isa, {33, 256, 3, 7, 7, 40}, rng, I8_RANDOM, "empty-range");
    test_i8_case(isa, {33, 256, 0, 0, 33, 33}, rng, I8_RANDOM, "T=0");
    test_i8_case(isa, {13, 100, 5, 12, 13, 13}, rng, I8_RANDOM, "last-row");
    /* the largest dots the contract allows: K = 65536, |dot| = 127 * 128 * 65536 = 2^30 - 2^23 */
    for (int64_t K : {2560, 6912, 65536})
        for (int64_t T : {1, 4, 5}) {
            test_i8_case(isa, {9, K, T, 0, 9, 9}, rng, I8_EXTREME_MIN, "w=127 x=-128");
            test_i8_case(isa, {9, K, T, 0, 9, 9}, rng, I8_EXTREME_MAX, "w=-127 x=-128");
            test_i8_case(isa, {9, K, T, 0, 9, 9}, rng, I8_EXTREME_ALT, "w=+-127 x=127/-128");
        }
    {  /* ... and the true value, not merely the reference's */
        const int64_t K = 65536;
        std::vector<int8_t> w((size_t)K, 127), q((size_t)K, -128);
        float as = 1.0f, ws = 1.0f, y = 0;
        b4j_i8_gemm(isa, w.data(), &ws, 1, K, q.data(), &as, 1, &y, 1, 0, 1);
        CHECK(y == -16256.0f * 65536.0f, "%s i8 extreme dot %f, want %f", b4j_isa_name(isa), y, -16256.0 * 65536.0);
    }
    std::printf("  i8_gemm: %s\n", failures == before ? "ok (bit-exact)" : "FAILED");
}

static double half_value(uint16_t h);

/* The packer against the format's definition, written here independently: decode, absmax in float,
 * scale = max / 127 (float), codes = clamp(nearbyint(a / scale), -127, 127) with the default rounding
 * (half to even); Inf/NaN count as 0. */
static void pack_i8_spec(const std::vector<uint16_t> &h, int64_t K, int64_t m, int8_t *q, float *scale) {
    std::vector<float> a((size_t)K);
    float max = 0;
    for (int64_t k = 0; k < K; k++) {
        uint16_t v = h[(size_t)(m * K + k)];
        a[(size_t)k] = (v & 0x7c00) == 0x7c00 ? 0.0f : (float)((v & 0x8000) ? -half_value(v & 0x7fff) : half_value(v));
        max = std::fmax(max, std::fabs(a[(size_t)k]));
    }
    *scale = max / 127.0f;
    for (int64_t k = 0; k < K; k++) {
        float r = max == 0 ? 0.0f : std::nearbyint(a[(size_t)k] / *scale);
        q[k] = (int8_t)std::fmax(-127.0f, std::fmin(127.0f, r));
    }
}

/* F16 rows for the packer tests, one kind per row (m % 6): typical values, a zero row (+-0), subnormals only,
 * any bits (Inf/NaN too), any finite value up to 65504, and all +-1 (whose codes are the exact maximum). */
static std::vector<uint16_t> packer_rows(int64_t M, int64_t K, std::mt19937 &rng) {
    std::vector<uint16_t> h((size_t)(M * K));
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) {
            uint16_t &v = h[(size_t)(m * K + k)];
            switch (m % 6) {
                case 0: v = rand_half(rng); break;
                case 1: v = (uint16_t)(rng() & 0x8000); break;
                case 2: v = (uint16_t)(rng() & 0x83ff); break;
                case 3: v = (uint16_t)rng(); break;
                case 4: v = (uint16_t)((rng() & 0x8000) | (rng() % 0x7c00)); break;
                default: v = (uint16_t)(0x3c00 | (rng() & 0x8000)); break;
            }
        }
    return h;
}

static void test_i8_pack() {
    const long before = failures;
    std::mt19937 rng(16);
    for (int64_t K : {1, 7, 100, 2560}) {
        const int64_t M = 12;
        std::vector<uint16_t> h = packer_rows(M, K, rng);
        /* ties: with max 127 the scale is exactly 1, so x.5 values round half to even */
        if (K >= 7) {
            const uint16_t ties[7] = {0x57f0 /*127*/, 0x3800 /*0.5*/, 0x3e00 /*1.5*/, 0x4100 /*2.5*/, 0xc100 /*-2.5*/,
                                      0x5628 /*98.5*/, 0xb800 /*-0.5*/};
            for (int i = 0; i < 7; i++) h[(size_t)(6 * K + i)] = ties[i];
        }
        std::vector<int8_t> q((size_t)(M * K), 0x5a), want((size_t)(M * K));
        std::vector<float> sc((size_t)M, -1.f), wsc((size_t)M);
        /* two calls over split row ranges: each must write only its own rows */
        CHECK(b4j_i8_quantize_rows(h.data(), M, K, q.data(), sc.data(), 0, 5) == B4J_OK, "pack rc");
        CHECK(b4j_i8_quantize_rows(h.data(), M, K, q.data(), sc.data(), 5, M - 1) == B4J_OK, "pack rc");
        for (int64_t m = 0; m < M; m++) pack_i8_spec(h, K, m, want.data() + m * K, &wsc[(size_t)m]);
        for (int64_t m = 0; m < M - 1; m++) {
            CHECK(fbits(sc[(size_t)m]) == fbits(wsc[(size_t)m]), "pack K=%lld row %lld scale %a want %a", (long long)K,
                  (long long)m, sc[(size_t)m], wsc[(size_t)m]);
            CHECK(std::memcmp(q.data() + m * K, want.data() + m * K, (size_t)K) == 0, "pack K=%lld row %lld codes",
                  (long long)K, (long long)m);
            for (int64_t k = 0; k < K; k++) CHECK(q[(size_t)(m * K + k)] != -128, "pack produced -128");
        }
        CHECK(sc[(size_t)(M - 1)] == -1.f && q[(size_t)((M - 1) * K)] == 0x5a, "pack wrote outside its rows");
        CHECK(sc[1] == 0.0f && q[(size_t)K] == 0, "zero row: scale 0, codes 0");
        if (K >= 7) {
            const int8_t want_ties[7] = {127, 0, 2, 2, -2, 98, 0};
            CHECK(std::memcmp(q.data() + 6 * K, want_ties, 7) == 0 && sc[6] == 1.0f, "pack rounds ties to even");
        }
    }
    int8_t q1[4];
    float s1;
    uint16_t h1[4] = {0};
    CHECK(b4j_i8_quantize_rows(h1, 1, 4, q1, &s1, 0, 2) == B4J_EBADARG, "pack m_end > M rejected");
    CHECK(b4j_i8_quantize_rows(h1, 1, 0, q1, &s1, 0, 1) == B4J_EBADARG, "pack K = 0 rejected");
    std::printf("i8 packer: %s\n", failures == before ? "ok (matches the definition)" : "FAILED");
}

/* ------------------------------------------------------------------ Q4 (4-bit output projection) */

struct Q4Case {
    int64_t M, K, T, m_begin, m_end, ldy;
};

/* Q4_RANDOM: any byte, so every nibble 0..15 (0 is the code -8 the packer never writes) against any int8.
 * The extremes fill every nibble and activation with one value: 15 x -128 gives the most negative int16 pair
 * sums (-3840), 15 x 127 the most positive, 0 x -128 the largest dot (8 * 128 * K = 2^26 at K = 65536);
 * Q4_ALT alternates nibbles 0/15 and activations -128/127. */
enum Q4Fill { Q4_RANDOM, Q4_W15_XMIN, Q4_W15_XMAX, Q4_W0_XMIN, Q4_ALT };

/* The token sums the contract requires: exactly the sum of each token's activations. */
static std::vector<int32_t> act_sums(const std::vector<int8_t> &q, int64_t K, int64_t T) {
    std::vector<int32_t> S((size_t)T + 1, 0);
    for (int64_t t = 0; t < T; t++)
        for (int64_t k = 0; k < K; k++) S[(size_t)t] += q[(size_t)(t * K + k)];
    return S;
}

static void test_q4_case(int isa, const Q4Case &c, std::mt19937 &rng, Q4Fill fill, const char *what) {
    std::vector<uint8_t> w((size_t)(c.M * c.K / 2));
    std::vector<int8_t> q((size_t)(c.K * c.T + 1));
    for (size_t i = 0; i < w.size(); i++) {
        switch (fill) {
            case Q4_RANDOM: w[i] = (uint8_t)rng(); break;
            case Q4_W15_XMIN: case Q4_W15_XMAX: w[i] = 0xff; break;
            case Q4_W0_XMIN: w[i] = 0x00; break;
            case Q4_ALT: w[i] = (i & 1) ? 0x0f : 0xf0; break;
        }
    }
    for (size_t i = 0; i < q.size(); i++) {
        switch (fill) {
            case Q4_RANDOM: q[i] = (int8_t)(int)(rng() % 256 - 128); break;
            case Q4_W15_XMIN: case Q4_W0_XMIN: q[i] = -128; break;
            case Q4_W15_XMAX: q[i] = 127; break;
            case Q4_ALT: q[i] = (i % 3) ? -128 : 127; break;
        }
    }
    const std::vector<int32_t> S = act_sums(q, c.K, c.T);
    std::vector<float> as((size_t)c.T + 1), ws((size_t)c.M);
    std::uniform_real_distribution<float> u(0.5f, 200.f), us(1e-4f, 1e-1f);
    for (auto &v : as) v = u(rng);
    for (auto &v : ws) v = us(rng);
    if (c.M > 2) ws[1] = 0.0f;  /* a zero row's scale */
    const size_t ny = (size_t)(c.T > 0 ? c.T * c.ldy : 1);
    std::vector<float> y0(ny, bitsf(0x7fc0dead)), y1(ny, bitsf(0x7fc0dead));
    int rc0 = b4j_q4_gemm(B4J_ISA_SCALAR, w.data(), ws.data(), c.M, c.K, q.data(), as.data(), S.data(), c.T, y0.data(),
                          c.ldy, c.m_begin, c.m_end);
    int rc1 = b4j_q4_gemm(isa, w.data(), ws.data(), c.M, c.K, q.data(), as.data(), S.data(), c.T, y1.data(), c.ldy,
                          c.m_begin, c.m_end);
    CHECK(rc0 == B4J_OK && rc1 == B4J_OK, "q4 rc %d %d", rc0, rc1);
    size_t bad = 0, first = 0, outside = 0;
    for (size_t i = 0; i < ny; i++) {
        if (fbits(y0[i]) != fbits(y1[i])) { if (!bad) first = i; bad++; }
        const int64_t m = c.T > 0 ? (int64_t)i % c.ldy : -1;
        if ((m < c.m_begin || m >= c.m_end) && fbits(y1[i]) != 0x7fc0deadu) outside++;
    }
    CHECK(bad == 0,
          "%s q4_gemm %s M=%lld K=%lld T=%lld rows [%lld,%lld) ldy=%lld: %zu values differ, first at %zu: %a vs %a",
          b4j_isa_name(isa), what, (long long)c.M, (long long)c.K, (long long)c.T, (long long)c.m_begin,
          (long long)c.m_end, (long long)c.ldy, bad, first, y0[first], y1[first]);
    CHECK(outside == 0, "%s q4_gemm %s M=%lld K=%lld T=%lld: %zu values written outside the row range",
          b4j_isa_name(isa), what, (long long)c.M, (long long)c.K, (long long)c.T, outside);
}

static void test_q4(int isa) {
    std::mt19937 rng(44);
    const long before = failures;
    /* a 4096-row slice of the 128256 x 2560 tied projection: decode and a batch of 8 */
    test_q4_case(isa, {4100, 2560, 1, 0, 4096, 4100}, rng, Q4_RANDOM, "lm-head-slice");
    test_q4_case(isa, {4100, 2560, 8, 3, 4096, 4100}, rng, Q4_RANDOM, "lm-head-slice");
    std::vector<int64_t> Ms = {1, 2, 3, 4, 5, 6, 7, 8, 9, 33, 127};
    std::vector<int64_t> Ks = {64, 128, 192, 2560, 6912};
    std::vector<int64_t> Ts = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17};
    for (int64_t M : Ms)
        for (int64_t K : Ks)
            for (int64_t T : Ts) {
                if (quick && K >= 2560 && (M > 9 || (T > 3 && T != 17))) continue;
                test_q4_case(isa, {M, K, T, 0, M, M}, rng, Q4_RANDOM, "all-rows");
                /* a range not starting at 0 and not ending at M, with ldy > M */
                if (M >= 3) test_q4_case(isa, {M, K, T, 1, M - 1, M + 3}, rng, Q4_RANDOM, "range");
            }
    test_q4_case(isa, {33, 256, 3, 7, 7, 40}, rng, Q4_RANDOM, "empty-range");
    test_q4_case(isa, {33, 256, 3, 33, 33, 33}, rng, Q4_RANDOM, "empty-range-at-end");
    test_q4_case(isa, {13, 192, 5, 12, 13, 13}, rng, Q4_RANDOM, "last-row");
    test_q4_case(isa, {127, 640, 17, 5, 122, 130}, rng, Q4_RANDOM, "tiles+tails");
    /* no int16 or int32 overflow at the extremes the format allows, up to K = 65536 */
    for (int64_t K : {256, 2560, 65536})
        for (int64_t T : {1, 4, 5}) {
            if (quick && K == 65536 && T != 5) continue;
            test_q4_case(isa, {9, K, T, 0, 9, 9}, rng, Q4_W15_XMIN, "nibble 15 x -128");
            test_q4_case(isa, {9, K, T, 0, 9, 9}, rng, Q4_W15_XMAX, "nibble 15 x 127");
            test_q4_case(isa, {9, K, T, 0, 9, 9}, rng, Q4_W0_XMIN, "nibble 0 x -128");
            test_q4_case(isa, {9, K, T, 0, 9, 9}, rng, Q4_ALT, "nibbles 0/15 x -128/127");
        }
    {  /* ... and the true values, not merely the reference's: (0 - 8) * -128 * 65536 = 2^26 and 7 * -128 * 65536 */
        const int64_t K = 65536;
        std::vector<int8_t> q((size_t)K, -128);
        const int32_t S = -128 * 65536;
        const float as = 1.0f, ws = 1.0f;
        for (uint8_t b : {(uint8_t)0x00, (uint8_t)0xff}) {
            std::vector<uint8_t> w((size_t)K / 2, b);
            float y = 0;
            b4j_q4_gemm(isa, w.data(), &ws, 1, K, q.data(), &as, &S, 1, &y, 1, 0, 1);
            const float want = b ? -58720256.0f : 67108864.0f;
            CHECK(y == want, "%s q4 extreme dot (byte %02x) %f, want %f", b4j_isa_name(isa), b, y, want);
        }
    }
    {  /* every nibble value at every position of a group, one at a time, against a hand-computed dot */
        const int64_t K = 128, M = 4;
        std::vector<int8_t> q((size_t)K);
        for (int64_t k = 0; k < K; k++) q[(size_t)k] = (int8_t)(int)(k * 37 % 256 - 128);
        const std::vector<int32_t> S = act_sums(q, K, 1);
        std::vector<float> ws((size_t)M, 1.0f);
        const float as = 1.0f;
        long wrong = 0;
        for (int64_t k = 0; k < K; k++)
            for (int nib = 0; nib < 16; nib++) {
                /* all rows code 0 (nibble 8) except element k, which is nibble - 8 */
                std::vector<uint8_t> w((size_t)(M * K / 2), 0x88);
                for (int64_t m = 0; m < M; m++) {
                    uint8_t &b = w[(size_t)(m * K / 2 + (k / 64) * 32 + k % 32)];
                    b = (k % 64 >= 32) ? (uint8_t)((b & 0x0f) | nib << 4) : (uint8_t)((b & 0xf0) | nib);
                }
                std::vector<float> y((size_t)M);
                b4j_q4_gemm(isa, w.data(), ws.data(), M, K, q.data(), &as, S.data(), 1, y.data(), M, 0, M);
                for (int64_t m = 0; m < M; m++) wrong += y[(size_t)m] != (float)((nib - 8) * q[(size_t)k]);
            }
        CHECK(wrong == 0, "%s q4 single-element dots: %ld wrong (layout or nibble order)", b4j_isa_name(isa), wrong);
    }
    std::printf("  q4_gemm: %s\n", failures == before ? "ok (bit-exact)" : "FAILED");
}

/* The Q4 packer against the format's definition, written here independently: decode, absmax in float,
 * scale = max / 7 (float), codes = clamp(nearbyint(a / scale), -7, 7) with the default rounding (half to even);
 * Inf/NaN count as 0. Returns the codes of row m in element order. */
static std::vector<int> pack_q4_spec(const std::vector<uint16_t> &h, int64_t K, int64_t m, float *scale) {
    std::vector<float> a((size_t)K);
    float max = 0;
    for (int64_t k = 0; k < K; k++) {
        uint16_t v = h[(size_t)(m * K + k)];
        a[(size_t)k] = (v & 0x7c00) == 0x7c00 ? 0.0f : (float)((v & 0x8000) ? -half_value(v & 0x7fff) : half_value(v));
        max = std::fmax(max, std::fabs(a[(size_t)k]));
    }
    *scale = max / 7.0f;
    std::vector<int> c((size_t)K);
    for (int64_t k = 0; k < K; k++)
        c[(size_t)k] = max == 0 ? 0 : (int)std::fmax(-7.0f, std::fmin(7.0f, std::nearbyint(a[(size_t)k] / *scale)));
    return c;
}

/* Code of element k of row m as the header describes the layout. */
static int q4_code_at(const std::vector<uint8_t> &q, int64_t K, int64_t m, int64_t k) {
    const uint8_t b = q[(size_t)(m * K / 2 + (k / 64) * 32 + k % 32)];
    return ((k % 64) < 32 ? (b & 0x0f) : (b >> 4)) - 8;
}

static void test_q4_pack() {
    const long before = failures;
    std::mt19937 rng(17);
    for (int64_t K : {64, 128, 2560}) {
        const int64_t M = 12;
        std::vector<uint16_t> h = packer_rows(M, K, rng);
        /* ties: with max 7 the scale is exactly 1, so x.5 values round half to even */
        const uint16_t ties[9] = {0x4700 /*7*/, 0x3800 /*0.5*/, 0x3e00 /*1.5*/, 0x4100 /*2.5*/, 0xc100 /*-2.5*/,
                                  0x4300 /*3.5*/, 0x4480 /*4.5*/, 0x4680 /*6.5*/, 0xb800 /*-0.5*/};
        for (int i = 0; i < 9; i++) h[(size_t)(6 * K + i)] = ties[i];
        std::vector<uint8_t> q((size_t)(M * K / 2), 0x5a);
        std::vector<float> sc((size_t)M, -1.f);
        /* two calls over split row ranges: each must write only its own rows */
        CHECK(b4j_q4_quantize_rows(h.data(), M, K, q.data(), sc.data(), 0, 5) == B4J_OK, "q4 pack rc");
        CHECK(b4j_q4_quantize_rows(h.data(), M, K, q.data(), sc.data(), 5, M - 1) == B4J_OK, "q4 pack rc");
        for (int64_t m = 0; m < M - 1; m++) {
            float want_scale;
            const std::vector<int> want = pack_q4_spec(h, K, m, &want_scale);
            CHECK(fbits(sc[(size_t)m]) == fbits(want_scale), "q4 pack K=%lld row %lld scale %a want %a", (long long)K,
                  (long long)m, sc[(size_t)m], want_scale);
            long bad = 0, out_of_range = 0;
            for (int64_t k = 0; k < K; k++) {
                const int c = q4_code_at(q, K, m, k);
                bad += c != want[(size_t)k];
                out_of_range += c < -7 || c > 7;
            }
            CHECK(bad == 0, "q4 pack K=%lld row %lld: %ld codes differ", (long long)K, (long long)m, bad);
            CHECK(out_of_range == 0, "q4 pack K=%lld row %lld: %ld codes outside [-7, 7]", (long long)K, (long long)m,
                  out_of_range);
        }
        CHECK(sc[(size_t)(M - 1)] == -1.f && q[(size_t)((M - 1) * K / 2)] == 0x5a, "q4 pack wrote outside its rows");
        CHECK(sc[1] == 0.0f && q[(size_t)(K / 2)] == 0x88 && q[(size_t)(K - 1)] == 0x88, "q4 zero row: scale 0, nibbles 8");
        const int want_ties[9] = {7, 0, 2, 2, -2, 4, 4, 6, 0};
        int tie_bad = 0;
        for (int i = 0; i < 9; i++) tie_bad += q4_code_at(q, K, 6, i) != want_ties[i];
        CHECK(tie_bad == 0 && sc[6] == 1.0f, "q4 pack rounds ties to even (K=%lld)", (long long)K);
    }
    std::printf("q4 packer: %s\n", failures == before ? "ok (matches the definition)" : "FAILED");
}

/* ------------------------------------------------------------------ conversions */

static double half_value(uint16_t h) {  /* independent decode via ldexp, finite halves only */
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e ? std::ldexp(1024 + m, e - 25) : std::ldexp(m, -24);
    return (h & 0x8000) ? -v : v;
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) static float hw_h2f(uint16_t h) { return _cvtsh_ss(h); }
__attribute__((target("f16c"))) static uint16_t hw_f2h(float f) {
    return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static bool hw_conv_available() { return b4j_isa_supported(B4J_ISA_AVX2) != 0; }  /* AVX2 path implies F16C */
#elif defined(__aarch64__)
static float hw_h2f(uint16_t h) { __fp16 v; std::memcpy(&v, &h, 2); return (float)v; }
static uint16_t hw_f2h(float f) { __fp16 v = (__fp16)f; uint16_t h; std::memcpy(&h, &v, 2); return h; }
static bool hw_conv_available() { return true; }  /* FCVT between half and single is baseline AArch64 */
#else
static float hw_h2f(uint16_t) { return 0; }
static uint16_t hw_f2h(float) { return 0; }
static bool hw_conv_available() { return false; }
#endif

/* Round-to-nearest-even property check for f32 -> f16, independent of any bit manipulation: the result must
 * be at least as close as both neighbours, and even on a tie. Inf acts as 65536 (IEEE overflow rule). */
static bool f2h_is_nearest_even(float f, uint16_t h) {
    if (std::isnan(f)) return ((h & 0x7c00) == 0x7c00) && (h & 0x3ff) && ((h >> 15) == (fbits(f) >> 31));
    if (std::isinf(f)) return h == ((fbits(f) >> 31) ? 0xfc00 : 0x7c00);
    if ((h >> 15) != (fbits(f) >> 31)) return false;
    const uint16_t mag = h & 0x7fff;
    if (mag > 0x7c00) return false;
    const double a = std::fabs((double)f);
    auto val = [](uint16_t mg) { return mg >= 0x7c00 ? 65536.0 : half_value(mg); };
    const double d = std::fabs(a - val(mag));
    if (mag > 0 && std::fabs(a - val((uint16_t)(mag - 1))) < d) return false;
    if (mag < 0x7c00 && std::fabs(a - val((uint16_t)(mag + 1))) < d) return false;
    bool tie = (mag > 0 && std::fabs(a - val((uint16_t)(mag - 1))) == d) ||
               (mag < 0x7c00 && std::fabs(a - val((uint16_t)(mag + 1))) == d);
    return !tie || (mag & 1) == 0;
}

static void test_conversions() {
    const long before = failures;
    const bool hw = hw_conv_available();
    std::vector<uint16_t> all(65536), back(65536);
    std::vector<float> f(65536);
    for (int i = 0; i < 65536; i++) all[(size_t)i] = (uint16_t)i;
    b4j_f16_to_f32(all.data(), f.data(), 65536);
    b4j_f32_to_f16(f.data(), back.data(), 65536);
    for (int i = 0; i < 65536; i++) {
        uint16_t h = (uint16_t)i;
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        /* NaNs come back quiet (bit 9 set), everything else identical */
        uint16_t want = nan ? (uint16_t)(h | 0x200) : h;
        CHECK(back[(size_t)i] == want, "f16 round trip %04x -> %08x -> %04x", i, fbits(f[(size_t)i]), back[(size_t)i]);
        if (!nan && (h & 0x7c00) != 0x7c00)
            CHECK((double)f[(size_t)i] == half_value(h), "f16_to_f32(%04x) = %a, want %a", i, f[(size_t)i], half_value(h));
        if (hw) {
            float g = hw_h2f(h);
            /* hardware quiets signalling NaNs too; compare those as NaN with the same payload bits */
            CHECK(fbits(g) == fbits(f[(size_t)i]) || (nan && (fbits(g) | 0x400000) == (fbits(f[(size_t)i]) | 0x400000)),
                  "f16_to_f32(%04x) = %08x, hardware %08x", i, fbits(f[(size_t)i]), fbits(g));
        }
    }
    /* f32 -> f16 on random bit patterns plus targeted ones: ties, subnormal boundaries, overflow edge */
    std::mt19937 rng(99);
    std::vector<float> src;
    const int nrand = quick ? 300000 : 4000000;
    for (int i = 0; i < nrand; i++) src.push_back(bitsf((uint32_t)rng()));
    for (int i = 0; i < 65536; i++) {
        uint16_t h = (uint16_t)i;
        if ((h & 0x7c00) == 0x7c00) continue;
        double v = half_value(h), step = (h & 0x7c00) ? std::ldexp(1.0, ((h >> 10) & 0x1f) - 25) : std::ldexp(1.0, -24);
        double s = (h & 0x8000) ? -1 : 1;
        src.push_back((float)(v + s * step / 2));                                   /* exact tie above */
        src.push_back(bitsf(fbits((float)(v + s * step / 2)) - 1));                 /* just below the tie */
        src.push_back(bitsf(fbits((float)(v + s * step / 2)) + 1));                 /* just above the tie */
        src.push_back((float)v);
    }
    for (uint32_t b : {0x477fefffu, 0x477ff000u, 0x477ff001u, 0x33000000u, 0x33000001u, 0x32ffffffu, 0x38800000u,
                       0x387fffffu, 0x7f800000u, 0x7f800001u, 0x7fc00000u, 0x7fffffffu, 0x00000001u, 0x80000000u})
        for (uint32_t sign : {0u, 0x80000000u}) src.push_back(bitsf(b | sign));
    std::vector<uint16_t> dst(src.size());
    b4j_f32_to_f16(src.data(), dst.data(), (int64_t)src.size());
    int bad_prop = 0, bad_hw = 0;
    for (size_t i = 0; i < src.size(); i++) {
        if (!f2h_is_nearest_even(src[i], dst[i])) {
            if (!bad_prop) std::printf("  f32_to_f16(%08x) = %04x is not the nearest-even half\n", fbits(src[i]), dst[i]);
            bad_prop++;
        }
        if (hw) {
            uint16_t g = hw_f2h(src[i]);
            if (g != dst[i]) {
                if (!bad_hw) std::printf("  f32_to_f16(%08x) = %04x, hardware %04x\n", fbits(src[i]), dst[i], g);
                bad_hw++;
            }
        }
    }
    CHECK(bad_prop == 0, "f32_to_f16: %d values not round-to-nearest-even", bad_prop);
    CHECK(bad_hw == 0, "f32_to_f16: %d values differ from the hardware conversion", bad_hw);
    std::printf("conversions: %s (65536 halves round-trip, %zu floats checked%s)\n",
                failures == before ? "ok" : "FAILED", src.size(), hw ? ", also against hardware" : "");
}

/* ------------------------------------------------------------------ dispatch */

/* Every Q4 argument check: the calls below would read out of bounds if any of them slipped through. */
static void test_q4_dispatch() {
    static uint8_t w[64];
    static int8_t q[128];
    static uint16_t h[128];
    float ws[2] = {1, 1}, s = 1, y[4] = {0};
    int32_t S = 0;
    for (int isa : {B4J_ISA_SCALAR, B4J_ISA_AUTO}) {
        auto gemm = [&](const uint8_t *w_, const float *ws_, int64_t M, int64_t K, const int8_t *q_, const float *as_,
                        const int32_t *S_, int64_t T, float *y_, int64_t ldy, int64_t mb, int64_t me) {
            return b4j_q4_gemm(isa, w_, ws_, M, K, q_, as_, S_, T, y_, ldy, mb, me);
        };
        CHECK(gemm(w, ws, 1, 64, q, &s, &S, 1, y, 1, 0, 1) == B4J_OK, "q4 valid call accepted");
        CHECK(gemm(w, ws, 1, 64, q, &s, &S, 0, y, 1, 0, 1) == B4J_OK, "q4 T = 0 accepted");
        CHECK(gemm(w, ws, 1, 100, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 K %% 64 != 0 rejected");
        CHECK(gemm(w, ws, 1, 32, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 K = 32 rejected");
        CHECK(gemm(w, ws, 1, 0, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 K = 0 rejected");
        CHECK(gemm(w, ws, 1, -64, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 K < 0 rejected");
        CHECK(gemm(w, ws, 1, 65536 + 64, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 K > 65536 rejected");
        CHECK(gemm(w, ws, 0, 64, q, &s, &S, 1, y, 1, 0, 0) == B4J_EBADARG, "q4 M = 0 rejected");
        CHECK(gemm(w, ws, 2, 64, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 ldy < M rejected");
        CHECK(gemm(w, ws, 1, 64, q, &s, &S, -1, y, 1, 0, 1) == B4J_EBADARG, "q4 T < 0 rejected");
        CHECK(gemm(w, ws, 2, 64, q, &s, &S, 1, y, 2, 2, 1) == B4J_EBADARG, "q4 m_begin > m_end rejected");
        CHECK(gemm(w, ws, 2, 64, q, &s, &S, 1, y, 2, 0, 3) == B4J_EBADARG, "q4 m_end > M rejected");
        CHECK(gemm(w, ws, 2, 64, q, &s, &S, 1, y, 2, -1, 1) == B4J_EBADARG, "q4 m_begin < 0 rejected");
        CHECK(gemm(0, ws, 1, 64, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 null w rejected");
        CHECK(gemm(w, 0, 1, 64, q, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 null w_scales rejected");
        CHECK(gemm(w, ws, 1, 64, 0, &s, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 null q rejected");
        CHECK(gemm(w, ws, 1, 64, q, 0, &S, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 null act_scale rejected");
        CHECK(gemm(w, ws, 1, 64, q, &s, 0, 1, y, 1, 0, 1) == B4J_EBADARG, "q4 null act_sum rejected");
        CHECK(gemm(w, ws, 1, 64, q, &s, &S, 1, 0, 1, 0, 1) == B4J_EBADARG, "q4 null y rejected");
    }
    CHECK(b4j_q4_gemm(B4J_ISA_COUNT, w, ws, 1, 64, q, &s, &S, 1, y, 1, 0, 1) == B4J_EISA, "q4 unknown ISA rejected");
    CHECK(b4j_q4_quantize_rows(h, 2, 64, w, ws, 0, 2) == B4J_OK, "q4 pack valid call accepted");
    CHECK(b4j_q4_quantize_rows(h, 1, 100, w, ws, 0, 1) == B4J_EBADARG, "q4 pack K %% 64 != 0 rejected");
    CHECK(b4j_q4_quantize_rows(h, 1, 0, w, ws, 0, 1) == B4J_EBADARG, "q4 pack K = 0 rejected");
    CHECK(b4j_q4_quantize_rows(h, 1, 65536 + 64, w, ws, 0, 1) == B4J_EBADARG, "q4 pack K > 65536 rejected");
    CHECK(b4j_q4_quantize_rows(h, 0, 64, w, ws, 0, 0) == B4J_EBADARG, "q4 pack M = 0 rejected");
    CHECK(b4j_q4_quantize_rows(h, 2, 64, w, ws, 0, 3) == B4J_EBADARG, "q4 pack m_end > M rejected");
    CHECK(b4j_q4_quantize_rows(h, 2, 64, w, ws, 2, 1) == B4J_EBADARG, "q4 pack m_begin > m_end rejected");
    CHECK(b4j_q4_quantize_rows(h, 2, 64, w, ws, -1, 1) == B4J_EBADARG, "q4 pack m_begin < 0 rejected");
    CHECK(b4j_q4_quantize_rows(0, 1, 64, w, ws, 0, 1) == B4J_EBADARG, "q4 pack null f16 rejected");
    CHECK(b4j_q4_quantize_rows(h, 1, 64, 0, ws, 0, 1) == B4J_EBADARG, "q4 pack null q rejected");
    CHECK(b4j_q4_quantize_rows(h, 1, 64, w, 0, 0, 1) == B4J_EBADARG, "q4 pack null scales rejected");
}

static void test_dispatch() {
    int best = b4j_isa_best();
    CHECK(b4j_isa_supported(B4J_ISA_SCALAR), "scalar must be supported");
    CHECK(b4j_isa_supported(best), "best ISA %d not supported", best);
    CHECK(b4j_isa_active() == best, "active %d != best %d", b4j_isa_active(), best);
    for (int isa = 0; isa < B4J_ISA_COUNT; isa++) {
        int rc = b4j_isa_select(isa);
        CHECK((rc == B4J_OK) == (b4j_isa_supported(isa) != 0), "select(%s) rc %d", b4j_isa_name(isa), rc);
        if (rc == B4J_OK) CHECK(b4j_isa_active() == isa, "active after select(%s)", b4j_isa_name(isa));
    }
    CHECK(b4j_isa_select(B4J_ISA_AUTO) == B4J_OK && b4j_isa_active() == best, "AUTO restores best");
    /* the list bindings read: every id below b4j_isa_count() has a name, distinct from the others */
    CHECK(b4j_isa_count() == B4J_ISA_COUNT, "isa_count %d != %d", b4j_isa_count(), B4J_ISA_COUNT);
    for (int isa = 0; isa < b4j_isa_count(); isa++) {
        CHECK(std::strcmp(b4j_isa_name(isa), "unknown") != 0, "isa %d has no name", isa);
        for (int other = 0; other < isa; other++)
            CHECK(std::strcmp(b4j_isa_name(isa), b4j_isa_name(other)) != 0, "isa %d and %d share a name", isa, other);
    }
    CHECK(std::strcmp(b4j_isa_name(b4j_isa_count()), "unknown") == 0, "isa_name(count) is unknown");
    CHECK(std::strcmp(b4j_isa_name(B4J_ISA_AUTO), "unknown") == 0, "isa_name(AUTO) is unknown");
    uint8_t w[32] = {0};
    int8_t q[128] = {0};
    float s = 1, y = 0;
    int32_t S = 0;
    CHECK(b4j_i2s_gemm(B4J_ISA_SCALAR, w, 1, 1, 100, q, &s, &S, 1, &y, 1, 0, 1) == B4J_EBADARG, "K %% 128 rejected");
    CHECK(b4j_i2s_gemm(B4J_ISA_SCALAR, w, 1, 1, 128, q, &s, &S, 1, &y, 1, 0, 2) == B4J_EBADARG, "m_end > M rejected");
    const int8_t *w8 = (const int8_t *)w;
    CHECK(b4j_i8_gemm(B4J_ISA_SCALAR, w8, &s, 1, 65537, q, &s, 1, &y, 1, 0, 1) == B4J_EBADARG, "i8 K > 65536 rejected");
    CHECK(b4j_i8_gemm(B4J_ISA_SCALAR, w8, &s, 1, 32, q, &s, 1, &y, 0, 0, 1) == B4J_EBADARG, "i8 ldy < M rejected");
    CHECK(b4j_i8_gemm(B4J_ISA_SCALAR, w8, &s, 1, 32, q, &s, 1, &y, 1, 1, 0) == B4J_EBADARG, "i8 m_begin > m_end rejected");
    CHECK(b4j_i8_gemm(B4J_ISA_SCALAR, w8, 0, 1, 32, q, &s, 1, &y, 1, 0, 1) == B4J_EBADARG, "i8 null scales rejected");
    test_q4_dispatch();
    /* the MAC ceiling loop: a whole number of rounds of a fixed MAC count on every supported ISA, refused bounds */
    for (int isa = 0; isa < B4J_ISA_COUNT; isa++) {
        const int64_t one = b4j_int8_mac_loop(isa, 1), many = b4j_int8_mac_loop(isa, 1000);
        if (!b4j_isa_supported(isa)) {
            CHECK(one == B4J_EISA && many == B4J_EISA, "mac loop on unsupported %s rejected", b4j_isa_name(isa));
            continue;
        }
        CHECK(one > 0 && many == 1000 * one, "mac loop %s: %lld for 1 round, %lld for 1000", b4j_isa_name(isa),
              (long long)one, (long long)many);
    }
    CHECK(b4j_int8_mac_loop(B4J_ISA_SCALAR, 0) == B4J_EBADARG, "mac loop 0 rounds rejected");
    CHECK(b4j_int8_mac_loop(B4J_ISA_SCALAR, -5) == B4J_EBADARG, "mac loop negative rounds rejected");
    CHECK(b4j_int8_mac_loop(B4J_ISA_SCALAR, ((int64_t)1 << 32) + 1) == B4J_EBADARG, "mac loop 2^32+1 rounds rejected");
    CHECK(b4j_int8_mac_loop(B4J_ISA_COUNT, 10) == B4J_EISA, "mac loop unknown ISA rejected");
}

int main() {
    const char *qe = std::getenv("B4J_TEST_QUICK");
    quick = qe && *qe && std::strcmp(qe, "0") != 0;
    std::printf("bitnet4j %s, best ISA %s%s\n", b4j_version(), b4j_isa_name(b4j_isa_best()),
                quick ? " (quick mode)" : "");
    auto t0 = std::chrono::steady_clock::now();
    test_dispatch();
    test_conversions();
    test_i8_pack();
    test_q4_pack();
    int tested = 0, skipped = 0;
    for (int isa = 0; isa < B4J_ISA_COUNT; isa++) {
        if (isa == B4J_ISA_SCALAR) continue;  /* the reference itself */
        if (!b4j_isa_supported(isa)) {
            std::printf("SKIP %s: not supported by this CPU\n", b4j_isa_name(isa));
            skipped++;
            continue;
        }
        std::printf("TEST %s vs scalar\n", b4j_isa_name(isa));
        test_quantize(isa);
        test_i2s(isa);
        test_f16(isa);
        test_i8(isa);
        test_q4(isa);
        tested++;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("SUMMARY: %d ISA(s) tested, %d skipped, %ld checks, %d failure(s), %.1f s\n", tested, skipped, checks,
                failures, secs);
    return failures ? 1 : 0;
}
