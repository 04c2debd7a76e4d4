package io.bitnet4j.model;

import io.bitnet4j.ProgressListener;

/**
 * Perplexity of a token sequence, by two protocols.
 *
 * <p>{@link #llamaCpp llama-perplexity's} (llama.cpp's and bitnet.cpp's tool, its default mode): chunks of
 * {@code nCtx} tokens, each a fresh context whose first token is replaced by BOS, only the second half of each
 * chunk scored, so every scored token has at least {@code nCtx / 2} tokens of context.
 *
 * <p>{@link #compute The training script's}: the ids are cut into consecutive, non-overlapping chunks of
 * {@code window} tokens (the last may be shorter); each chunk gets a fresh context. With a BOS id, BOS is
 * fed first and every token of the chunk is scored (the first conditioned on BOS alone); without, the first
 * token of each chunk has no context and is not scored. This is the protocol of
 * scripts/train-tiny-model/eval.py, so the two figures can be compared.
 *
 * @param tokens  scored tokens
 * @param nll     total negative log-likelihood (natural log)
 */
public record Perplexity(long tokens, double nll) {

    public double value() {
        return Math.exp(nll / tokens);
    }

    /** Scores ids in chunks of {@code window} tokens (BOS first when bos >= 0), reporting chunks done (stage "perplexity"). */
    public static Perplexity compute(Model model, int[] ids, int window, int bos, ProgressListener progress) {
        if (window < 2) throw new IllegalArgumentException("window must be at least 2 tokens, got " + window);
        int extra = bos >= 0 ? 1 : 0;
        if (window + extra > model.config().contextLength())
            throw new IllegalArgumentException("window " + window + (extra == 1 ? " + BOS" : "") + " exceeds the model's context "
                    + model.config().contextLength());
        java.util.Objects.requireNonNull(progress, "progress (ProgressListener.NONE for none)");
        int chunks = (ids.length + window - 1) / window;
        if (ids.length < 1 + (1 - extra)) throw new IllegalArgumentException("text has " + ids.length + " tokens: nothing to score");
        double[] nll = {0};
        long[] count = {0};
        try (Session s = model.newSession(window + extra)) {
            for (int c = 0; c < chunks; c++) {
                int from = c * window, n = Math.min(window, ids.length - from);
                // fed: [BOS] + chunk without its last token; the logits after fed[i] predict target i
                int[] fed = new int[n - 1 + extra];
                if (extra == 1) fed[0] = bos;
                System.arraycopy(ids, from, fed, extra, n - 1);
                s.reset();
                if (fed.length == 0) continue; // a one-token chunk without BOS has nothing to score
                s.evaluateAll(fed, (i, logits) -> {
                    int target = from + i + 1 - extra;
                    nll[0] += -logSoftmax(logits, ids[target]);
                    count[0]++;
                });
                progress.progress("perplexity", c + 1, chunks);
            }
        }
        return new Perplexity(count[0], nll[0]);
    }

    /**
     * A llama-perplexity style estimate: the perplexity and its standard error, from the sum of the scored
     * tokens' negative log-likelihoods and the sum of their squares.
     */
    public record Estimate(long tokens, double nll, double nll2) {
        public double value() {
            return Math.exp(nll / tokens);
        }

        /** ± of the final estimate as llama-perplexity prints it: ppl × the standard error of the mean NLL. */
        public double error() {
            double mean = nll / tokens, variance = nll2 / tokens - mean * mean;
            return tokens > 1 && variance > 0 ? value() * Math.sqrt(variance / (tokens - 1)) : 0;
        }

        /** This estimate with one more scored token of negative log-likelihood {@code rowNll}. */
        public Estimate plus(double rowNll) {
            return new Estimate(tokens + 1, nll + rowNll, nll2 + rowNll * rowNll);
        }
    }

    /** Receives each scored row of {@link #llamaCppRows}: the logits (a reused array) and the token they should predict. */
    @FunctionalInterface
    public interface ScoredRow {
        void accept(int chunk, int row, float[] logits, int target);
    }

    /**
     * llama-perplexity's estimate over {@code ids} (tokenized as llama-perplexity does: BOS first when the model
     * adds one). The chunk count is {@code ids.length / nCtx}, at most {@code maxChunks} when positive.
     *
     * @param bos the BOS id that replaces each chunk's first token, or -1 when the model adds no BOS
     */
    public static Estimate llamaCpp(Model model, int[] ids, int nCtx, int maxChunks, int bos, ProgressListener progress) {
        Estimate[] sum = {new Estimate(0, 0, 0)};
        llamaCppRows(model, ids, nCtx, maxChunks, bos, (chunk, row, logits, target) -> sum[0] = sum[0].plus(-logSoftmax(logits, target)),
                progress);
        return sum[0];
    }

    /** Chunks llama-perplexity evaluates for this many tokens: whole chunks only, at most maxChunks when positive. */
    public static int llamaCppChunks(int tokens, int nCtx, int maxChunks) {
        int all = tokens / nCtx;
        return maxChunks > 0 ? Math.min(all, maxChunks) : all;
    }

    /** Rows llama-perplexity scores per chunk: positions nCtx/2 .. nCtx-2, each predicting the next token. */
    public static int llamaCppRowsPerChunk(int nCtx) {
        return nCtx - 1 - nCtx / 2;
    }

    /**
     * Runs llama-perplexity's protocol and hands every scored row to {@code sink}: chunk c is
     * {@code ids[c*nCtx, (c+1)*nCtx)} in a fresh context, its first token replaced by BOS (when bos >= 0); the
     * first nCtx/2 positions are fed without logits, then the logits after positions nCtx/2 .. nCtx-2 are
     * scored against the token that follows each. The last token of a chunk is predicted but never fed.
     */
    public static void llamaCppRows(Model model, int[] ids, int nCtx, int maxChunks, int bos, ScoredRow sink, ProgressListener progress) {
        if (nCtx < 4) throw new IllegalArgumentException("context must be at least 4 tokens, got " + nCtx);
        if (nCtx > model.config().contextLength())
            throw new IllegalArgumentException("context " + nCtx + " exceeds the model's " + model.config().contextLength());
        if (ids.length < 2 * nCtx)
            throw new IllegalArgumentException("the text is " + ids.length + " tokens; a context of " + nCtx + " needs at least "
                    + 2 * nCtx + " (as llama-perplexity requires)");
        int chunks = llamaCppChunks(ids.length, nCtx, maxChunks), first = nCtx / 2;
        try (Session s = model.newSession(nCtx)) {
            for (int c = 0; c < chunks; c++) {
                int start = c * nCtx, chunk = c;
                int[] fed = java.util.Arrays.copyOfRange(ids, start, start + nCtx - 1);
                if (bos >= 0) fed[0] = bos;
                s.reset();
                s.prefill(java.util.Arrays.copyOf(fed, first)); // context only: its logits are not scored
                s.evaluateAll(java.util.Arrays.copyOfRange(fed, first, fed.length),
                        (i, logits) -> sink.accept(chunk, i, logits, ids[start + first + i + 1]));
                progress.progress("perplexity", c + 1, chunks);
            }
        }
    }

    /** log p(target) under softmax(logits), computed stably in double. */
    public static double logSoftmax(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return logits[target] - max - Math.log(sum);
    }
}
