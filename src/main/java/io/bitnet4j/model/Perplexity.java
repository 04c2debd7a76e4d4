package io.bitnet4j.model;

/**
 * Perplexity of a token sequence, llama-perplexity style: the text is cut into consecutive,
 * non-overlapping windows of {@code window} tokens; each window starts a fresh context, optionally with BOS
 * in front, and every token after the first of the window is scored (the first has no context). The same
 * protocol as scripts/train-tiny-model/eval.py, so the two figures can be compared.
 *
 * @param tokens  scored tokens
 * @param nll     total negative log-likelihood (natural log)
 */
public record Perplexity(long tokens, double nll) {

    public double value() {
        return Math.exp(nll / tokens);
    }

    /** Progress callback: windows done of total. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total, Perplexity soFar);
    }

    public static Perplexity compute(Model model, int[] ids, int window, int bos, Progress progress) {
        if (window < 2) throw new IllegalArgumentException("window must be at least 2 tokens, got " + window);
        int extra = bos >= 0 ? 1 : 0;
        if (window + extra > model.config().contextLength())
            throw new IllegalArgumentException("window " + window + " exceeds the model's context " + model.config().contextLength());
        int windows = ids.length / window;
        if (windows == 0) throw new IllegalArgumentException("text has " + ids.length + " tokens, fewer than one window of " + window);
        double[] nll = {0};
        long[] count = {0};
        try (Session s = model.newSession(window + extra)) {
            for (int w = 0; w < windows; w++) {
                int[] chunk = new int[window + extra];
                if (extra == 1) chunk[0] = bos;
                System.arraycopy(ids, w * window, chunk, extra, window);
                s.reset();
                s.evaluateAll(chunk, (i, logits) -> {
                    // logits after chunk[i] predict chunk[i+1]; score the window's tokens after its first
                    if (i + 1 < chunk.length && i + 1 > extra) {
                        nll[0] += -logSoftmax(logits, chunk[i + 1]);
                        count[0]++;
                    }
                });
                if (progress != null) progress.update(w + 1, windows, new Perplexity(count[0], nll[0]));
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
