package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same requests give bit-identical logits however warm the JVM is: the first run is mostly interpreted,
 * later ones JIT-compiled. (Vectorised float reductions left in the implementation's order differed by up to
 * 0.04 in the logits between the two.)
 */
class DeterminismTest {
    static final String[] PROMPTS = {"In the beginning", "And God said", "The LORD is my shepherd"};

    @ParameterizedTest
    @ValueSource(strings = {"native", "vector"})
    void sameLogitsColdAndWarm(String backend) throws Exception {
        try (Model m = Model.load(BundledModelTest.MODEL, Model.Options.builder().threads(1).backend(Backend.parse(backend)).build())) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), null);
            List<float[]> cold = greedyLogits(m, tok);
            for (int run = 1; run < 4; run++) {
                List<float[]> warm = greedyLogits(m, tok);
                for (int i = 0; i < cold.size(); i++) assertArrayEquals(cold.get(i), warm.get(i), backend + ": run " + run + ", step " + i);
            }
        }
    }

    /** Every prompt decoded greedily for 16 tokens; the logits of every step. */
    private static List<float[]> greedyLogits(Model m, Tokenizer tok) {
        List<float[]> all = new ArrayList<>();
        for (String p : PROMPTS)
            try (Session s = m.newSession()) {
                float[] logits = s.prefill(tok.encodeWithBos(p, false));
                for (int step = 0; step < 16; step++) {
                    all.add(logits.clone());
                    logits = s.decode(LogitsDump.argmax(logits));
                }
            }
        return all;
    }
}
