/* The row and token loops of the I2_S GEMM for the ISA files whose tile kernel needs no K blocking or
 * prefetch (AVX-512 VNNI, NEON, NEON dotprod; AVX2 has its own prefill blocking). The including file first
 * defines, in the same (anonymous) namespace, its tile kernel
 *     template <int R, int N> void i2s_tile(const uint8_t *w, int64_t row_bytes, const int8_t *q, int64_t K,
 *                                           int32_t dot[R][N]);
 * computing the exact int32 dots of R weight rows with N tokens (q, stride K). Included once per file. */

template <int R, int N>
static inline void i2s_tile_store(const uint8_t *w, float w_scale, int64_t K, const int8_t *q,
                                  const float *act_scale, const int32_t *act_sum, int64_t t0,
                                  float *y, int64_t ldy, int64_t m) {
    const int64_t row_bytes = K / 4;
    int32_t dot[R][N];
    i2s_tile<R, N>(w + m * row_bytes, row_bytes, q + t0 * K, K, dot);
    for (int n = 0; n < N; n++)
        for (int r = 0; r < R; r++)
            y[(t0 + n) * ldy + m + r] = b4j_epilogue(dot[r][n], act_sum[t0 + n], act_scale[t0 + n], w_scale);
}

/* R rows for every token, 4 tokens per tile: each decoded weight group serves 4 tokens. */
template <int R>
static inline void i2s_rows(const uint8_t *w, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                            const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m) {
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) i2s_tile_store<R, 4>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m);
    switch (T - t) {
        case 3: i2s_tile_store<R, 3>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m); break;
        case 2: i2s_tile_store<R, 2>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m); break;
        case 1: i2s_tile_store<R, 1>(w, w_scale, K, q, act_scale, act_sum, t, y, ldy, m); break;
        default: break;
    }
}

/* One token: 4 rows share each activation load. Several: 2 rows x 4 tokens per tile. */
static void i2s_gemm(const uint8_t *w, float w_scale, int64_t K, const int8_t *q, const float *act_scale,
                     const int32_t *act_sum, int64_t T, float *y, int64_t ldy, int64_t m_begin, int64_t m_end) {
    if (T <= 0) return;
    int64_t m = m_begin;
    if (T == 1) {
        for (; m + 4 <= m_end; m += 4) i2s_tile_store<4, 1>(w, w_scale, K, q, act_scale, act_sum, 0, y, ldy, m);
    } else {
        for (; m + 2 <= m_end; m += 2) i2s_rows<2>(w, w_scale, K, q, act_scale, act_sum, T, y, ldy, m);
    }
    for (; m < m_end; m++) i2s_rows<1>(w, w_scale, K, q, act_scale, act_sum, T, y, ldy, m);
}
