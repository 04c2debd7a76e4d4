/* The row and token loops of the F16 GEMM, shared by the ISA files. The including file first defines, in the
 * same (anonymous) namespace, its tile kernel
 *     template <int R, int N, int U> void f16_tile(const uint16_t *w, int64_t K, const uint16_t *x,
 *                                                  float out[R][N], const uint16_t *next);
 * computing the float dots of R weight rows (w, stride K) with N tokens (x, stride K) with U accumulators per
 * (row, token) pair, prefetching the next rows from `next` when it is not null. Included once per file.
 *
 * T > 1 (several sessions decoding at once): a 1-row tile converts every activation vector again for every
 * row (5 conversions per 4 FMAs), so conversions, not FMAs, set its pace. 2-row tiles of up to 5 tokens share
 * each converted activation vector between both rows and each converted weight vector between the tokens
 * (7 per 10); on AVX2, 10 accumulators + 5 activations + 1 weight vector fill the 16 registers. Converting the
 * activations to floats once per call measured slower on Zen 3: the float copy doubles their L1 footprint,
 * and K chunks that fit L1 cost a reduction per chunk and break the sequential weight stream. */

template <int R, int N, int U>
static inline void f16_tile_store(const uint16_t *w, int64_t K, const uint16_t *x, int64_t t0,
                                  float *y, int64_t ldy, int64_t m, const uint16_t *next) {
    float out[R][N];
    f16_tile<R, N, U>(w + m * K, K, x + t0 * K, out, next);
    for (int n = 0; n < N; n++)
        for (int r = 0; r < R; r++) y[(t0 + n) * ldy + m + r] = out[r][n];
}

/* Tokens per tile for `left` remaining: 5 while that leaves at least 2 (5 + 1 would run a 1-token tile,
 * which converts the weights for a single FMA each); 6 as 4 + 2, which measured faster than 3 + 3 when the
 * weights come from DRAM. */
static inline int64_t f16_group(int64_t left) { return left >= 7 ? 5 : left == 6 ? 4 : left; }

/* Accumulators per (row, token) pair: two FMAs per cycle at latency 4 need >= 8 independent chains. A 2 x 3
 * tile gets 12: with 3 activations and one weight vector at a time that is still 16 registers. */
constexpr int f16_unroll(int R, int N) { return R * N >= 8 ? 1 : R * N >= 4 ? 2 : 4; }

/* R rows x all T tokens. Only the first tile prefetches `next` (the rows two tiles ahead, as in the GEMV):
 * the later tiles find this tile's rows in L1. */
template <int R>
static inline void f16_batch_rows(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T, float *y,
                                  int64_t ldy, int64_t m, const uint16_t *next) {
    for (int64_t t = 0, n; t < T; t += n, next = 0) {
        n = f16_group(T - t);
        switch (n) {
            case 5: f16_tile_store<R, 5, f16_unroll(R, 5)>(w, K, x, t, y, ldy, m, next); break;
            case 4: f16_tile_store<R, 4, f16_unroll(R, 4)>(w, K, x, t, y, ldy, m, next); break;
            case 3: f16_tile_store<R, 3, f16_unroll(R, 3)>(w, K, x, t, y, ldy, m, next); break;
            case 2: f16_tile_store<R, 2, f16_unroll(R, 2)>(w, K, x, t, y, ldy, m, next); break;
            default: f16_tile_store<R, 1, f16_unroll(R, 1)>(w, K, x, t, y, ldy, m, next); break;
        }
    }
}

/* T == 1 (the logits of one sequence): 2 rows x 4 accumulators = 8 chains, the rows two tiles ahead
 * prefetched (hardware prefetch streams stop at 4 KiB pages). T > 1: 2-row tiles as above. */
static void f16_gemm_rows(const uint16_t *w, int64_t K, const uint16_t *x, int64_t T, float *y, int64_t ldy,
                          int64_t m_begin, int64_t m_end) {
    if (T <= 0) return;
    int64_t m = m_begin;
    if (T == 1) {
        for (; m + 2 <= m_end; m += 2) f16_tile_store<2, 1, 4>(w, K, x, 0, y, ldy, m, m + 6 <= m_end ? w + (m + 4) * K : 0);
        if (m < m_end) f16_tile_store<1, 1, 4>(w, K, x, 0, y, ldy, m, 0);
    } else {
        for (; m + 2 <= m_end; m += 2) f16_batch_rows<2>(w, K, x, T, y, ldy, m, m + 6 <= m_end ? w + (m + 4) * K : 0);
        if (m < m_end) f16_batch_rows<1>(w, K, x, T, y, ldy, m, 0);
    }
}
