package io.bitnet4j.model;

import io.bitnet4j.ProgressListener;

/**
 * Perplexity of a token sequence: the ids are cut into consecutive, non-overlapping chunks of
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

    /** log p(target) under softmax(logits), computed stably in double. */
    static double logSoftmax(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return logits[target] - max - Math.log(sum);
    }
}
