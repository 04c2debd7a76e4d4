package io.bitnet4j.spark;

import io.bitnet4j.model.Session;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-probabilities of candidate continuations of a prompt (zero-shot classification): the prompt is evaluated
 * once, then each candidate from the prompt's KV state, the session truncated back to the end of the prompt
 * between candidates. A candidate is tokenized on its own and continues the prompt's text directly, so it
 * usually starts with a space (" yes", " no").
 */
final class PromptScorer {
    private final ExecutorModel executor;

    PromptScorer(ExecutorModel executor) {
        this.executor = executor;
    }

    Scores score(String prompt, List<String> candidates) {
        if (prompt == null) return Scores.failed("prompt is null");
        if (candidates == null || candidates.isEmpty()) return Scores.failed("no candidates");
        int[] promptIds = executor.tokenizer.encodeWithBos(prompt, false);
        if (promptIds.length == 0) return Scores.failed("prompt is empty (and the model adds no BOS token)");
        int[][] ids = new int[candidates.size()][];
        for (int i = 0; i < ids.length; i++) {
            String c = candidates.get(i);
            if (c == null) return Scores.failed("candidate " + i + " is null");
            ids[i] = executor.tokenizer.encode(c, false);
            if (ids[i].length == 0) return Scores.failed("candidate " + i + " is empty");
            // the last candidate token is predicted, never fed
            if (promptIds.length + ids[i].length - 1 > executor.contextLength)
                return Scores.failed("prompt (" + promptIds.length + " tokens) and candidate " + i + " (" + ids[i].length
                        + " tokens) exceed the context of " + executor.contextLength + " (ExecutorModelSpec.withContextLength)");
        }
        Session session = executor.borrowSession();
        try {
            return scored(session, promptIds, ids, candidates);
        } catch (RuntimeException e) { // this row's data, not the job: the row gets the message
            return Scores.failed(e.getMessage());
        } finally {
            executor.returnSession(session);
        }
    }

    private static Scores scored(Session session, int[] promptIds, int[][] ids, List<String> candidates) {
        float[] afterPrompt = session.prefill(promptIds).clone(); // the session reuses its logits array
        double promptNorm = logSumExp(afterPrompt);
        List<Double> logprobs = new ArrayList<>(ids.length);
        List<Integer> lengths = new ArrayList<>(ids.length);
        int best = 0;
        for (int i = 0; i < ids.length; i++) {
            int[] c = ids[i];
            double[] sum = {afterPrompt[c[0]] - promptNorm};
            if (c.length > 1) {
                session.evaluateAll(Arrays.copyOf(c, c.length - 1), (j, logits) -> sum[0] += logits[c[j + 1]] - logSumExp(logits));
                session.truncate(promptIds.length);
            }
            logprobs.add(sum[0]);
            lengths.add(c.length);
            if (sum[0] > logprobs.get(best)) best = i;
        }
        return new Scores(logprobs, lengths, candidates.get(best), null);
    }

    /** log(sum(exp(logits))), in double, shifted by the maximum. */
    static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - (double) max);
        return max + Math.log(sum);
    }
}
