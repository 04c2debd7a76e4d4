/* The row and token loops of the int8 GEMM, shared by every ISA file. The including file first defines, in
 * the same (anonymous) namespace, its tile kernel
 *     template <int R, int N> void i8_tile(const int8_t *w, const int8_t *x, int64_t K, int32_t dot[R][N],
 *                                          const int8_t *next);
 * computing the exact int32 dots of R weight rows (w, row stride K) with N tokens (x, stride K), and
 * prefetching the next tile's rows from `next` when it is not null. Included once per translation unit. */

template <int R, int N>
static inline void i8_tile_store(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                                 const float *act_scale, int64_t t0, float *y, int64_t ldy, int64_t m,
                                 const int8_t *next) {
    int32_t dot[R][N];
    i8_tile<R, N>(w + m * K, q + t0 * K, K, dot, next);
    for (int n = 0; n < N; n++)
        for (int r = 0; r < R; r++)
            y[(t0 + n) * ldy + m + r] = b4j_i8_epilogue(dot[r][n], act_scale[t0 + n], w_scales[m + r]);
}

/* R rows for every token, 4 tokens per tile: the rows (R*K bytes) stay in L1 between the token tiles, so
 * they are read from memory once; only the first tile prefetches the next rows. */
template <int R>
static inline void i8_rows(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q,
                           const float *act_scale, int64_t T, float *y, int64_t ldy, int64_t m, const int8_t *next) {
    int64_t t = 0;
    for (; t + 4 <= T; t += 4, next = 0) i8_tile_store<R, 4>(w, w_scales, K, q, act_scale, t, y, ldy, m, next);
    switch (T - t) {
        case 3: i8_tile_store<R, 3>(w, w_scales, K, q, act_scale, t, y, ldy, m, next); break;
        case 2: i8_tile_store<R, 2>(w, w_scales, K, q, act_scale, t, y, ldy, m, next); break;
        case 1: i8_tile_store<R, 1>(w, w_scales, K, q, act_scale, t, y, ldy, m, next); break;
        default: break;
    }
}

/* One token (the decode logits): 4 rows share every activation load and give 4 independent chains.
 * Several tokens: BATCH_ROWS rows x 4 tokens per tile, as many as the ISA's registers hold. */
template <int BATCH_ROWS>
static void i8_gemm_rows(const int8_t *w, const float *w_scales, int64_t K, const int8_t *q, const float *act_scale,
                         int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (T <= 0) return;
    int64_t m = m_begin;
    if (T == 1) {
        for (; m + 4 <= m_end; m += 4)
            i8_rows<4>(w, w_scales, K, q, act_scale, T, y, ldy, m, m + 8 <= m_end ? w + (m + 4) * K : 0);
    } else {
        for (; m + BATCH_ROWS <= m_end; m += BATCH_ROWS)
            i8_rows<BATCH_ROWS>(w, w_scales, K, q, act_scale, T, y, ldy, m,
                                m + 2 * BATCH_ROWS <= m_end ? w + (m + BATCH_ROWS) * K : 0);
    }
    for (; m < m_end; m++) i8_rows<1>(w, w_scales, K, q, act_scale, T, y, ldy, m, 0);
}
