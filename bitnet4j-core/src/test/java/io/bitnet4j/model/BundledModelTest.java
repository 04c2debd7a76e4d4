package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End to end on the bundled trained model: the runtime's held-out perplexity equals what the training
 * script's evaluation of the same quantized model measured (models/README.md: 39.78 over 51,395 tokens),
 * within 2 %. This checks tokenizer, graph and kernels at once against an independent implementation.
 */
class BundledModelTest {
    // the project root (surefire sets bitnet4j.home; tests run in the module folder)
    static final Path ROOT = Path.of(System.getProperty("bitnet4j.home", ".."));
    static final Path MODEL = ROOT.resolve("models/bitnet-kjv-4m.gguf"), HELDOUT = ROOT.resolve("models/kjv-heldout.txt");
    static final double TRAINING_SCRIPT_PPL = 39.78;

    @ParameterizedTest
    @ValueSource(strings = {"native", "vector"})
    void heldOutPerplexityMatchesTheTrainingScript(String backend) throws Exception {
        try (Model m = Model.load(MODEL, Model.Options.builder().threads(2).backend(Backend.parse(backend)).build())) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), null);
            int[] ids = tok.encode(Files.readString(HELDOUT, StandardCharsets.UTF_8), false);
            assertEquals(51_395, ids.length, "the training script's tokenizer made 51,395 ids of the held-out text");
            Perplexity p = Perplexity.compute(m, ids, m.config().contextLength() - 1, tok.bos(), io.bitnet4j.ProgressListener.NONE);
            System.out.printf("%s: held-out perplexity %.4f over %d tokens (training script: %.2f)%n", backend, p.value(), p.tokens(), TRAINING_SCRIPT_PPL);
            assertTrue(Math.abs(p.value() / TRAINING_SCRIPT_PPL - 1) < 0.02, backend + ": perplexity " + p.value());
        }
    }
}
