package io.bitnet4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.synthetic.SyntheticModel;
import io.bitnet4j.sampling.Sampler;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java API example, as written there, on a small model: the README must stay true. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExampleRuns() throws Exception {
        Path file = dir.resolve("ggml-model-i2_s.gguf");
        SyntheticModel.write(file, SyntheticModel.Spec.tiny(), null, 1);
        StringBuilder printed = new StringBuilder();

        // --- as in README.md (System.out.print replaced by printed.append) ---
        try (Model model = Model.load(file);
             Session session = model.newSession()) {
            Tokenizer tokenizer = GgufTokenizer.load(model.gguf(), null);
            Sampler sampler = SamplerChain.from(SamplingParams.defaults().withSeed(42));
            int[] prompt = tokenizer.encodeWithBos("The capital of France is", false);
            Generator.Result r = new Generator(session, tokenizer, sampler)
                    .generate(prompt, 64, List.of(), piece -> { printed.append(piece); return true; });
            // ---
            assertEquals(r.text(), printed.toString());
            assertTrue(r.tokens().length > 0 && r.tokens().length <= 64);
            // the last sampled token is returned but not fed to the session
            assertEquals(prompt.length + r.tokens().length - 1, session.position());
        }
    }
}
