package io.bitnet4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Teacher-forced logits of a prompt plus greedy continuation: the data of bitnet.cpp's parity fixtures,
 * produced through the Java API (no CLI needed). The CLI's {@code logits} command writes it as JSON.
 *
 * @param prompt        the ids fed (no BOS added)
 * @param promptLogits  one full-vocabulary row after each prompt token
 * @param generated     greedy ids (argmax, lowest id on ties); generated[0] comes from the last prompt row
 * @param genLogits     row k: logits after feeding generated[k]
 */
public record LogitsDump(int[] prompt, List<float[]> promptLogits, int[] generated, List<float[]> genLogits) {

    /**
     * @param prefill feed the prompt in one batched pass (else one token per pass, bitnet.cpp's decode path)
     */
    public static LogitsDump run(Session s, int[] prompt, int nGen, boolean prefill) {
        List<float[]> rows = new ArrayList<>();
        if (prefill) {
            s.evaluateAll(prompt, (i, logits) -> rows.add(logits.clone()));
        } else {
            for (int t : prompt) rows.add(s.decode(t).clone());
        }
        int[] gen = new int[nGen];
        List<float[]> genRows = new ArrayList<>();
        float[] last = rows.getLast();
        for (int k = 0; k < nGen; k++) {
            gen[k] = argmax(last);
            last = s.decode(gen[k]).clone();
            genRows.add(last);
        }
        return new LogitsDump(prompt, rows, gen, genRows);
    }

    /** Index of the largest value, the lowest index on ties. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
