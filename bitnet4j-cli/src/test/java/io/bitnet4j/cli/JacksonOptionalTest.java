package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The core generates text with no JSON library present; reading a tokenizer.json then names the missing artifact. */
class JacksonOptionalTest {
    @TempDir
    Path dir;

    static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The core, its natives, JavaCPP and this test's classes: no JSON, CLI, terminal or BLAS library (OpenBLAS is the CLI's). */
    static boolean coreOnly(String entry) {
        return !entry.contains("jackson") && !entry.contains("picocli") && !entry.contains("jline") && !entry.contains("junit")
                && !entry.contains("openblas");
    }

    @Test
    void generationNeedsNoJson() throws Exception {
        assertTrue(System.getProperty("java.class.path").contains("jackson-databind"), "the test class path holds Jackson to remove");
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
        String generated = run(ChildJvm.command(JacksonOptionalTest::coreOnly, "io.bitnet4j.cli.CoreWithoutJson", "generate", model.toString()));
        assertTrue(generated.contains("generated 8 tokens: "), generated);

        Path json = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        String refused = run(ChildJvm.command(JacksonOptionalTest::coreOnly, "io.bitnet4j.cli.CoreWithoutJson", "tokenizer-json", json.toString()));
        assertTrue(refused.contains("refused: reading " + json + " (a Hugging Face tokenizer.json) needs Jackson: add "
                + "com.fasterxml.jackson.core:jackson-databind"), refused);
        String withJackson = run(ChildJvm.command(entry -> true, "io.bitnet4j.cli.CoreWithoutJson", "tokenizer-json", json.toString()));
        assertTrue(!withJackson.contains("needs Jackson") && withJackson.contains("refused: "), "parsed, then refused for its content: " + withJackson);
    }
}
