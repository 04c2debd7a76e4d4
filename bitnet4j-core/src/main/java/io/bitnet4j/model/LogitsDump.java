package io.bitnet4j.model;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * Teacher-forced logits of a prompt plus greedy continuation: the data of bitnet.cpp's parity fixtures,
 * produced through the Java API (no CLI needed).
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

    /** Writes the fixture JSON; every float in a form that parses back to the same float32. */
    public void writeJson(Writer w, String madeBy) throws IOException {
        w.write("{\"made_by\": \"" + madeBy.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\n\"prompt\": ");
        ints(w, prompt);
        w.write(",\n\"prompt_logits\": ");
        rows(w, promptLogits);
        w.write(",\n\"generated\": ");
        ints(w, generated);
        w.write(",\n\"gen_logits\": ");
        rows(w, genLogits);
        w.write("}\n");
    }

    private static void ints(Writer w, int[] a) throws IOException {
        w.write('[');
        for (int i = 0; i < a.length; i++) {
            if (i > 0) w.write(", ");
            w.write(Integer.toString(a[i]));
        }
        w.write(']');
    }

    private static void rows(Writer w, List<float[]> rows) throws IOException {
        w.write("[\n");
        for (int r = 0; r < rows.size(); r++) {
            w.write('[');
            float[] row = rows.get(r);
            for (int i = 0; i < row.length; i++) {
                if (i > 0) w.write(',');
                w.write(Float.isFinite(row[i]) ? Float.toString(row[i]) : "null");
            }
            w.write(r + 1 < rows.size() ? "],\n" : "]\n");
        }
        w.write(']');
    }
}
