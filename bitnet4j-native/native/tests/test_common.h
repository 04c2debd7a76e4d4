/* What the native test programs share: the CHECK macro and its counters, float bit helpers, and a canonical
 * I2_S packer written independently of the library from the format description. Included by one .cpp each. */
#ifndef B4J_TEST_COMMON_H
#define B4J_TEST_COMMON_H

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

static int failures = 0;
static long checks = 0;
#define CHECK(c, ...)                                                               \
    do {                                                                            \
        checks++;                                                                   \
        if (!(c)) {                                                                 \
            if (++failures <= 50) {                                                 \
                std::printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
                std::printf(__VA_ARGS__);                                           \
                std::printf("\n");                                                  \
            }                                                                       \
        }                                                                           \
    } while (0)

static bool quick = false;  /* B4J_TEST_QUICK=1: trimmed lists for slow emulators */

static uint32_t fbits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
static float bitsf(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

/* Pack per-element codes (0..2) of an M x K matrix into the canonical I2_S layout: byte j of a 128-element
 * block holds elements j, 32+j, 64+j, 96+j at bits 7..6, 5..4, 3..2, 1..0. */
static std::vector<uint8_t> pack_i2s(const std::vector<uint8_t> &codes, int64_t M, int64_t K) {
    std::vector<uint8_t> w((size_t)(M * K / 4), 0);
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) {
            int64_t blk = k / 128, in = k % 128;
            size_t byte = (size_t)(m * K / 4 + blk * 32 + in % 32);
            w[byte] |= (uint8_t)(codes[(size_t)(m * K + k)] << (6 - 2 * (in / 32)));
        }
    return w;
}

#endif
