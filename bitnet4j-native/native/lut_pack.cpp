/* Load-time repacking of canonical I2_S weights into the TL1 / TL2 lookup-table layouts (see internal.h).
 * Portable C++; runs once per tensor, so clarity over speed, but it decodes a chunk of a row at a time
 * instead of locating every element separately. */
#include <string.h>

#include "internal.h"

extern "C" {

/* balanced-ternary digits of e = 9w0 + 3w1 + w2 for e = 0..13 */
const int8_t b4j_tl2_digits[16][3] = {
    {0, 0, 0},  {0, 0, 1},  {0, 1, -1}, {0, 1, 0},  {0, 1, 1},  {1, -1, -1}, {1, -1, 0}, {1, -1, 1},
    {1, 0, -1}, {1, 0, 0},  {1, 0, 1},  {1, 1, -1}, {1, 1, 0},  {1, 1, 1},  {0, 0, 0},  {0, 0, 0}};

/* e = 3w0 + w1 + 4 for e = 0..8 */
const int8_t b4j_tl1_digits[16][2] = {
    {-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 0}, {0, 1}, {1, -1}, {1, 0}, {1, 1},
    {0, 0},   {0, 0},  {0, 0},  {0, 0},  {0, 0}, {0, 0}, {0, 0}};

/* 384 = lcm(128, 24, 16): a chunk is whole I2_S blocks and whole TL1 / TL2 groups */
#define CHUNK 384

/* Weights k0..k0+CHUNK-1 of an I2_S row as -1/0/+1 (0 past K). Returns 0 if a code 3 was met. */
static int decode_chunk(const uint8_t *row, int64_t K, int64_t k0, int8_t w[CHUNK]) {
    int ok = 1;
    for (int64_t b = 0; b < CHUNK / B4J_I2S_BLOCK; b++) {
        const int64_t kb = k0 + b * B4J_I2S_BLOCK;
        int8_t *wb = w + b * B4J_I2S_BLOCK;
        if (kb >= K) {
            memset(wb, 0, B4J_I2S_BLOCK);
            continue;
        }
        const uint8_t *blk = row + (kb / B4J_I2S_BLOCK) * B4J_I2S_BLOCK_BYTES;
        for (int j = 0; j < 32; j++)
            for (int g = 0; g < 4; g++) {
                int code = (blk[j] >> (6 - 2 * g)) & 3;
                ok &= code != 3;
                wb[32 * g + j] = (int8_t)(code - 1);
            }
    }
    return ok;
}

/* Writes the CHUNK/24 TL2 groups of one row (byte r of each vector) from its weights. */
static void tl2_row_chunk(const int8_t *w, uint8_t *dst, int64_t ngroups, int r) {
    for (int64_t g = 0; g < ngroups; g++, w += B4J_TL2_GROUP_WEIGHTS, dst += B4J_TL2_GROUP_BYTES) {
        uint8_t idx[8], sign = 0;
        for (int j = 0; j < 8; j++) {
            int v = 9 * w[3 * j] + 3 * w[3 * j + 1] + w[3 * j + 2];
            idx[j] = (uint8_t)(v < 0 ? -v : v);
            sign |= (uint8_t)((v < 0) << j);
        }
        for (int p = 0; p < 4; p++) dst[32 * p + r] = (uint8_t)(idx[2 * p] | (idx[2 * p + 1] << 4));
        dst[128 + r] = sign;
    }
}

static void tl1_row_chunk(const int8_t *w, uint8_t *dst, int64_t ngroups, int r) {
    for (int64_t g = 0; g < ngroups; g++, w += B4J_TL1_GROUP_WEIGHTS, dst += B4J_TL1_GROUP_BYTES)
        for (int p = 0; p < 4; p++) {
            int i0 = 3 * w[4 * p] + w[4 * p + 1] + 4, i1 = 3 * w[4 * p + 2] + w[4 * p + 3] + 4;
            dst[32 * p + r] = (uint8_t)(i0 | (i1 << 4));
        }
}

int b4j_lut_pack_rows(int layout, const uint8_t *i2s, int64_t M, int64_t K, uint8_t *out,
                      int64_t m_begin, int64_t m_end) {
    const int tl2 = layout == B4J_LAYOUT_TL2;
    const int64_t ngroups = b4j_lut_groups(layout, K), tile_bytes = b4j_lut_tile_bytes(layout, K);
    const int64_t gw = tl2 ? B4J_TL2_GROUP_WEIGHTS : B4J_TL1_GROUP_WEIGHTS;
    const int64_t gb = tl2 ? B4J_TL2_GROUP_BYTES : B4J_TL1_GROUP_BYTES;
    int ok = 1;
    int8_t w[CHUNK];
    /* rows past M in the last tile are all-zero weights; the call that packs the last row writes them */
    const int64_t m_last = m_end == M ? (M + B4J_LUT_TILE - 1) / B4J_LUT_TILE * B4J_LUT_TILE : m_end;
    for (int64_t m = m_begin; m < m_last; m++) {
        uint8_t *tile = out + (m / B4J_LUT_TILE) * tile_bytes;
        const int r = (int)(m % B4J_LUT_TILE);
        for (int64_t k0 = 0, g0 = 0; g0 < ngroups; k0 += CHUNK, g0 += CHUNK / gw) {
            if (m < M) ok &= decode_chunk(i2s + m * (K / 4), K, k0, w);
            else memset(w, 0, sizeof w);
            const int64_t ng = ngroups - g0 < CHUNK / gw ? ngroups - g0 : CHUNK / gw;
            if (tl2) tl2_row_chunk(w, tile + g0 * gb, ng, r);
            else tl1_row_chunk(w, tile + g0 * gb, ng, r);
        }
    }
    return ok ? B4J_OK : B4J_EBADARG;
}

}  /* extern "C" */
