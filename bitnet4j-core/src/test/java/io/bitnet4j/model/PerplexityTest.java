package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The perplexity protocol, checked against the same sum written out token by token. */
class PerplexityTest {
    @TempDir
    Path dir;

    @Test
    void matchesAHandWrittenSumWithAndWithoutBos() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        SyntheticModel.write(file, SyntheticModel.Spec.tiny(), null, 9);
        int[] ids = ModelTest.randomTokens(23, 500, 4); // 23 = 2 full chunks of 10 and a partial one of 3
        int window = 10, bos = 504;
        try (Model m = Model.load(file, Model.Options.builder().threads(2).build())) {
            for (int b : new int[] {bos, -1}) {
                double nll = 0;
                long n = 0;
                try (Session s = m.newSession()) {
                    for (int from = 0; from < ids.length; from += window) {
                        s.reset();
                        int len = Math.min(window, ids.length - from);
                        float[] logits = b >= 0 ? s.decode(b).clone() : null;
                        for (int i = 0; i < len; i++) {
                            if (logits != null) {
                                nll -= Perplexity.logSoftmax(logits, ids[from + i]);
                                n++;
                            }
                            if (i + 1 < len) logits = s.decode(ids[from + i]).clone();
                        }
                    }
                }
                Perplexity p = Perplexity.compute(m, ids, window, b, io.bitnet4j.ProgressListener.NONE);
                assertEquals(n, p.tokens(), "scored tokens, bos " + b);
                assertEquals(b >= 0 ? 23 : 20, p.tokens());
                assertEquals(nll, p.nll(), 1e-6 * Math.abs(nll), "nll, bos " + b);
            }
        }
    }
}
