/* The row and token loops of the Q4 GEMM, shared by every ISA file. The including file first defines, in the
 * same (anonymous) namespace, its tile kernel
 *     template <int R, int N> void q4_tile(const uint8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N],
 *                                          const uint8_t *next);
 * computing the exact int32 sums of nibble * activation (nibble = code + 8, unsigned 0..15) of R weight rows
 * (w, row stride K/2 bytes) with N tokens (x, stride K), and prefetching the next tile's rows from `next` when
 * it is not null. Here those sums become dots (b4j_q4_dot: minus 8 * act_sum) and then outputs. Included once
 * per translation unit. */

template <int R, int N>
static inline void q4_tile_store(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                                 const float *act_scale, const int32_t *act_sum, int64_t t0, float *y, int64_t ldy,
                                 int64_t m, const uint8_t *next) {
    int32_t dot[R][N];
    q4_tile<R, N>(w + m * (K / 2), q + t0 * K, K, dot, next);
    for (int n = 0; n < N; n++)
        for (int r = 0; r < R; r++)
            y[(t0 + n) * ldy + m + r] =
                b4j_i8_epilogue(b4j_q4_dot(dot[r][n], act_sum[t0 + n]), act_scale[t0 + n], w_scales[m + r]);
}

/* R rows for every token, 4 tokens per tile: the rows (R*K/2 bytes) stay in L1 between the token tiles, so
 * they are read from memory once; only the first tile prefetches the next rows. */
template <int R>
static inline void q4_rows(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                           const float *act_scale, const int32_t *act_sum, int64_t T, float *y, int64_t ldy,
                           int64_t m, const uint8_t *next) {
    int64_t t = 0;
    for (; t + 4 <= T; t += 4, next = 0) q4_tile_store<R, 4>(w, w_scales, K, q, act_scale, act_sum, t, y, ldy, m, next);
    switch (T - t) {
        case 3: q4_tile_store<R, 3>(w, w_scales, K, q, act_scale, act_sum, t, y, ldy, m, next); break;
        case 2: q4_tile_store<R, 2>(w, w_scales, K, q, act_scale, act_sum, t, y, ldy, m, next); break;
        case 1: q4_tile_store<R, 1>(w, w_scales, K, q, act_scale, act_sum, t, y, ldy, m, next); break;
        default: break;
    }
}

/* One token (the decode ranking pass): 4 rows share every activation load and give 4 independent chains; the
 * tile two ahead is prefetched (one tile, 5 KiB at K = 2560, is too short a distance to hide DRAM latency:
 * measured 13 % slower on Zen 3; three tiles gain nothing more). Several tokens: BATCH_ROWS rows x 4 tokens
 * per tile, as many as the ISA's registers hold, prefetching the next rows. Rows are contiguous, so a later
 * tile's rows are one contiguous run. */
template <int BATCH_ROWS>
static void q4_gemm_rows(const uint8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                         const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (T <= 0) return;
    const int64_t row_bytes = K / 2;
    int64_t m = m_begin;
    if (T == 1) {
        for (; m + 4 <= m_end; m += 4)
            q4_tile_store<4, 1>(w, w_scales, K, q, act_scale, act_sum, 0, y, ldy, m,
                                m + 12 <= m_end ? w + (m + 8) * row_bytes : 0);
    } else {
        for (; m + BATCH_ROWS <= m_end; m += BATCH_ROWS)
            q4_rows<BATCH_ROWS>(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m,
                                m + 2 * BATCH_ROWS <= m_end ? w + (m + BATCH_ROWS) * row_bytes : 0);
    }
    for (; m < m_end; m++) q4_rows<1>(w, w_scales, K, q, act_scale, act_sum, T, y, ldy, m, 0);
}
