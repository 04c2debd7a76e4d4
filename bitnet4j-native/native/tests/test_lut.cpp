/* Lookup-table kernel tests: for each layout (TL1, TL2) and each ISA that runs it (the scalar LUT reference
 * always, the layout's SIMD kernel when the CPU has it, SKIP otherwise), random I2_S matrices are repacked
 * with b4j_lut_pack and b4j_lut_gemm must equal b4j_i2s_gemm(B4J_ISA_SCALAR) on the canonical data bit for
 * bit, over many shapes, token counts and row ranges; outside the range y must stay untouched.
 * B4J_TEST_QUICK=1 trims the lists (for slow emulators). */
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "bitnet4j/bitnet4j.h"

#include "test_common.h"

static const char *layout_name(int layout) { return layout == B4J_LAYOUT_TL2 ? "tl2" : "tl1"; }


/* Repacks in 1-3 row pieces at random (tile-aligned or not) boundaries, as parallel loaders would. */
static std::vector<uint8_t> lut_pack(int layout, const std::vector<uint8_t> &i2s, int64_t M, int64_t K,
                                     std::mt19937 &rng) {
    int64_t bytes = b4j_lut_packed_bytes(layout, M, K);
    CHECK(bytes > 0, "%s packed_bytes(%lld, %lld) = %lld", layout_name(layout), (long long)M, (long long)K,
          (long long)bytes);
    std::vector<uint8_t> out((size_t)(bytes > 0 ? bytes : 1), 0xa5);  /* garbage: pack must write every byte */
    int64_t cuts[2] = {(int64_t)(rng() % (uint64_t)(M + 1)), (int64_t)(rng() % (uint64_t)(M + 1))};
    if (rng() % 2) for (auto &c : cuts) c = c / 32 * 32;
    if (cuts[0] > cuts[1]) std::swap(cuts[0], cuts[1]);
    const int64_t bounds[4] = {0, cuts[0], cuts[1], M};
    for (int i = 0; i < 3; i++) {  /* last piece first: the padding is not tied to call order */
        int p = 2 - i;
        int rc = b4j_lut_pack(layout, i2s.data(), M, K, out.data(), bounds[p], bounds[p + 1]);
        CHECK(rc == B4J_OK, "%s pack rows [%lld,%lld) rc %d", layout_name(layout), (long long)bounds[p],
              (long long)bounds[p + 1], rc);
    }
    return out;
}

struct Isa { int layout, isa; };
static std::vector<Isa> runners;  /* (layout, isa) pairs under test */

enum ActKind { ACT_RANDOM, ACT_MIN, ACT_MAX, ACT_ALT };

struct Matrix {
    int64_t M, K;
    std::vector<uint8_t> i2s, tl[3];  /* tl[layout] */
};

static Matrix make_matrix(int64_t M, int64_t K, int code_fill, std::mt19937 &rng) {
    Matrix mx{M, K, {}, {}};
    std::vector<uint8_t> codes((size_t)(M * K));
    for (auto &v : codes) v = code_fill >= 0 ? (uint8_t)code_fill : (uint8_t)(rng() % 3);
    mx.i2s = pack_i2s(codes, M, K);
    for (int layout : {B4J_LAYOUT_TL1, B4J_LAYOUT_TL2}) mx.tl[layout] = lut_pack(layout, mx.i2s, M, K, rng);
    return mx;
}

/* One GEMM case for every runner against the I2_S scalar reference. */
static void run_case(const Matrix &mx, int64_t T, int64_t mb, int64_t me, int64_t ldy, ActKind act,
                     std::mt19937 &rng, const char *what) {
    const int64_t M = mx.M, K = mx.K;
    std::vector<int8_t> q((size_t)(K * T + 1));
    for (size_t i = 0; i < q.size(); i++) {
        switch (act) {
            case ACT_RANDOM: q[i] = (int8_t)(int)(rng() % 256 - 128); break;
            case ACT_MIN: q[i] = -128; break;
            case ACT_MAX: q[i] = 127; break;
            case ACT_ALT: q[i] = (i & 1) ? 127 : -128; break;
        }
    }
    std::vector<float> as((size_t)T + 1);
    std::vector<int32_t> sum((size_t)T + 1);
    std::uniform_real_distribution<float> u(0.5f, 200.f);
    for (int64_t t = 0; t < T; t++) {
        as[(size_t)t] = u(rng);
        int32_t s = 0;
        for (int64_t k = 0; k < K; k++) s += q[(size_t)(t * K + k)];
        sum[(size_t)t] = s;
    }
    const float ws = 1.0f / 3.0f + (float)(rng() % 100) * 0.01f;
    const size_t ny = (size_t)(T > 0 ? T * ldy : 1);
    std::vector<float> y0(ny, bitsf(0x7fc0dead));
    int rc0 = b4j_i2s_gemm(B4J_ISA_SCALAR, mx.i2s.data(), ws, M, K, q.data(), as.data(), sum.data(), T, y0.data(),
                           ldy, mb, me);
    CHECK(rc0 == B4J_OK, "i2s rc %d", rc0);
    for (const Isa &r : runners) {
        std::vector<float> y1(ny, bitsf(0x7fc0dead));
        int rc = b4j_lut_gemm(r.isa, r.layout, mx.tl[r.layout].data(), ws, M, K, q.data(), as.data(), sum.data(), T,
                              y1.data(), ldy, mb, me);
        CHECK(rc == B4J_OK, "%s/%s rc %d", layout_name(r.layout), b4j_isa_name(r.isa), rc);
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < ny; i++)
            if (fbits(y0[i]) != fbits(y1[i])) { if (!bad) first = i; bad++; }
        CHECK(bad == 0,
              "%s/%s %s M=%lld K=%lld T=%lld rows [%lld,%lld) ldy=%lld: %zu values differ, first at %zu: %a vs %a",
              layout_name(r.layout), b4j_isa_name(r.isa), what, (long long)M, (long long)K, (long long)T,
              (long long)mb, (long long)me, (long long)ldy, bad, first, y0[first], y1[first]);
    }
}

static void test_api() {
    const long before = failures;
    CHECK(b4j_lut_packed_bytes(B4J_LAYOUT_TL2, 32, 100) < 0, "K %% 128 rejected");
    CHECK(b4j_lut_packed_bytes(B4J_LAYOUT_TL2, 0, 128) < 0, "M = 0 rejected");
    CHECK(b4j_lut_packed_bytes(7, 32, 128) < 0, "bad layout rejected");
    CHECK(b4j_lut_packed_bytes(B4J_LAYOUT_TL1, 33, 128) == 2 * 8 * 128, "tl1 bytes: 2 tiles x 8 groups x 128");
    CHECK(b4j_lut_packed_bytes(B4J_LAYOUT_TL2, 33, 128) == 2 * 6 * 160, "tl2 bytes: 2 tiles x 6 groups x 160");
    const int64_t shapes[4][2] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
    for (auto &s : shapes) {
        double i2s = (double)(s[0] * s[1] / 4);
        std::printf("  packed bytes [%lld x %lld]: i2s %.0f, tl1 %.3fx, tl2 %.3fx\n", (long long)s[0], (long long)s[1],
                    i2s, (double)b4j_lut_packed_bytes(B4J_LAYOUT_TL1, s[0], s[1]) / i2s,
                    (double)b4j_lut_packed_bytes(B4J_LAYOUT_TL2, s[0], s[1]) / i2s);
    }
    /* code 3 is not a ternary weight: packing must refuse it */
    std::vector<uint8_t> w(32 * 128 / 4, 0x55), out(4096);  /* >= both layouts, 32 x 128 */
    w[77] = 0x57;
    for (int layout : {B4J_LAYOUT_TL1, B4J_LAYOUT_TL2})
        CHECK(b4j_lut_pack(layout, w.data(), 32, 128, out.data(), 0, 32) == B4J_EBADARG, "%s code 3 rejected",
              layout_name(layout));
    CHECK(b4j_lut_pack(B4J_LAYOUT_TL2, w.data(), 32, 128, out.data(), 5, 33) == B4J_EBADARG, "m_end > M rejected");
    int8_t q[128] = {0};
    float s = 1, y[64];
    int32_t S = 0;
    CHECK(b4j_lut_gemm(B4J_ISA_SCALAR, B4J_LAYOUT_TL2, out.data(), 1, 32, 100, q, &s, &S, 1, y, 32, 0, 32) ==
              B4J_EBADARG, "gemm K %% 128 rejected");
    CHECK(b4j_lut_gemm(B4J_ISA_SCALAR, B4J_LAYOUT_TL2, out.data(), 1, 32, 128, q, &s, &S, 1, y, 31, 0, 32) ==
              B4J_EBADARG, "gemm ldy < M rejected");
    CHECK(b4j_lut_gemm(B4J_ISA_SCALAR, B4J_LAYOUT_TL2, out.data(), 1, 32, 128, q, &s, &S, 1, y, 32, 3, 2) ==
              B4J_EBADARG, "gemm m_begin > m_end rejected");
    CHECK(b4j_lut_gemm(B4J_ISA_SCALAR, 0, out.data(), 1, 32, 128, q, &s, &S, 1, y, 32, 0, 32) == B4J_EBADARG,
          "gemm bad layout rejected");
    /* only scalar, avx2 x tl2 and neon(-dotprod) x tl1 exist */
    CHECK(b4j_lut_gemm(B4J_ISA_AVX2, B4J_LAYOUT_TL1, out.data(), 1, 32, 128, q, &s, &S, 1, y, 32, 0, 32) == B4J_EISA,
          "avx2 x tl1 is EISA");
    CHECK(b4j_lut_gemm(B4J_ISA_AVX512_VNNI, B4J_LAYOUT_TL2, out.data(), 1, 32, 128, q, &s, &S, 1, y, 32, 0, 32) ==
              B4J_EISA, "avx512 x tl2 is EISA");
    CHECK(b4j_lut_gemm(B4J_ISA_NEON, B4J_LAYOUT_TL2, out.data(), 1, 32, 128, q, &s, &S, 1, y, 32, 0, 32) == B4J_EISA,
          "neon x tl2 is EISA");
#if defined(__x86_64__)
    CHECK(b4j_lut_supported(B4J_LAYOUT_TL2) == b4j_isa_supported(B4J_ISA_AVX2), "tl2 supported iff avx2");
    CHECK(b4j_lut_supported(B4J_LAYOUT_TL1) == 0, "no tl1 kernel on x86");
#elif defined(__aarch64__)
    CHECK(b4j_lut_supported(B4J_LAYOUT_TL1) == 1, "tl1 supported on aarch64");
    CHECK(b4j_lut_supported(B4J_LAYOUT_TL2) == 0, "no tl2 kernel on aarch64");
#endif
    CHECK(b4j_lut_supported(0) == 0, "layout 0 unsupported");
    std::printf("  api: %s\n", failures == before ? "ok" : "FAILED");
}

static void test_gemm() {
    std::mt19937 rng(2026);
    const long before = failures;
    /* the 2B4T projection shapes */
    const int64_t shapes[4][2] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
    for (auto &s : shapes) {
        Matrix mx = make_matrix(s[0], s[1], -1, rng);
        run_case(mx, 1, 0, mx.M, mx.M, ACT_RANDOM, rng, "2b4t");
        if (!quick) run_case(mx, 5, 0, mx.M, mx.M, ACT_RANDOM, rng, "2b4t");
        run_case(mx, 3, mx.M / 2 - 37, mx.M / 2 + 70, mx.M + 5, ACT_RANDOM, rng, "2b4t-slice");
    }
    /* small / odd shapes, many token counts, full and partial row ranges */
    std::vector<int64_t> Ms = {1, 3, 31, 33, 97};
    std::vector<int64_t> Ks = {128, 256, 384, 640, 6912};
    std::vector<int64_t> Ts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 32, 64};
    for (int64_t M : Ms)
        for (int64_t K : Ks) {
            Matrix mx = make_matrix(M, K, -1, rng);
            for (int64_t T : Ts) {
                if (quick && K * T * M > 2000000 && T != 17) continue;
                run_case(mx, T, 0, M, M, ACT_RANDOM, rng, "small");
                if (M >= 5) run_case(mx, T, 1, M - 2, M + 3, ACT_RANDOM, rng, "range");
            }
        }
    /* several row blocks (32 tiles for T <= 4, 8 tiles beyond), odd range, ldy > M */
    {
        Matrix mx = make_matrix(1100, 640, -1, rng);
        run_case(mx, 1, 0, 1100, 1100, ACT_RANDOM, rng, "row-blocks");
        run_case(mx, 2, 13, 1099, 1107, ACT_RANDOM, rng, "row-blocks");
        run_case(mx, 7, 29, 1061, 1101, ACT_RANDOM, rng, "row-blocks");
    }
    /* K longer than one table chunk for every token-pass width */
    {
        Matrix mx = make_matrix(70, 16384 + 128, -1, rng);
        for (int64_t T : {1, 2, 3, 4, 5}) run_case(mx, T, 0, 70, 71, ACT_RANDOM, rng, "chunks");
    }
    /* empty range and no tokens */
    {
        Matrix mx = make_matrix(33, 256, -1, rng);
        run_case(mx, 3, 7, 7, 40, ACT_RANDOM, rng, "empty-range");
        run_case(mx, 0, 0, 33, 33, ACT_RANDOM, rng, "T=0");
        run_case(mx, 2, 32, 33, 33, ACT_RANDOM, rng, "last-row");
    }
    /* extreme activations with all weights +1 (code 2) or -1 (code 0): the widest sums */
    for (int64_t K : {6912, 16384}) {
        Matrix plus = make_matrix(9, K, 2, rng), minus = make_matrix(9, K, 0, rng), mixed = make_matrix(9, K, -1, rng);
        for (int64_t T : {1, 4, 5}) {
            for (const Matrix *mx : {&plus, &minus, &mixed}) {
                run_case(*mx, T, 0, 9, 9, ACT_MIN, rng, "q=-128");
                run_case(*mx, T, 0, 9, 9, ACT_MAX, rng, "q=127");
                run_case(*mx, T, 0, 9, 9, ACT_ALT, rng, "q=+-alternating");
            }
        }
    }
    std::printf("  lut_gemm: %s\n", failures == before ? "ok (bit-exact vs i2s scalar)" : "FAILED");
}

int main() {
    const char *qe = std::getenv("B4J_TEST_QUICK");
    quick = qe && *qe && std::strcmp(qe, "0") != 0;
    std::printf("bitnet4j %s lut tests, best ISA %s%s\n", b4j_version(), b4j_isa_name(b4j_isa_best()),
                quick ? " (quick mode)" : "");
    auto t0 = std::chrono::steady_clock::now();
    test_api();
    const struct { int layout, isa; } all[] = {
        {B4J_LAYOUT_TL1, B4J_ISA_SCALAR}, {B4J_LAYOUT_TL2, B4J_ISA_SCALAR}, {B4J_LAYOUT_TL2, B4J_ISA_AVX2},
        {B4J_LAYOUT_TL1, B4J_ISA_NEON},   {B4J_LAYOUT_TL1, B4J_ISA_NEON_DOTPROD}};
    int skipped = 0;
    for (auto &a : all) {
        bool ok = a.isa == B4J_ISA_SCALAR || b4j_isa_supported(a.isa);
#if !defined(__x86_64__)
        if (a.isa == B4J_ISA_AVX2) ok = false;
#endif
#if !defined(__aarch64__)
        if (a.isa == B4J_ISA_NEON || a.isa == B4J_ISA_NEON_DOTPROD) ok = false;
#endif
        if (!ok) {
            std::printf("SKIP lut %s %s: not supported by this CPU\n", layout_name(a.layout), b4j_isa_name(a.isa));
            skipped++;
            continue;
        }
        std::printf("TEST lut %s %s vs i2s scalar\n", layout_name(a.layout), b4j_isa_name(a.isa));
        runners.push_back({a.layout, a.isa});
    }
    test_gemm();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("SUMMARY: lut %zu kernel(s) tested, %d skipped, %ld checks, %d failure(s), %.1f s\n", runners.size(),
                skipped, checks, failures, secs);
    return failures ? 1 : 0;
}
