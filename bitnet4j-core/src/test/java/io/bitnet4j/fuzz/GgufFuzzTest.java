package io.bitnet4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import io.bitnet4j.model.ModelConfig;
import io.bitnet4j.tokenizer.GgufTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the GGUF reader on arbitrary bytes: GgufFile.open, then everything the
 * model loader reads from a parsed file before any kernel runs (hyperparameters, tokenizer keys and the
 * tokenizer itself, every tensor's bytes). The only acceptable failure is a GgufException; any other
 * exception, a hang or an OOM is a finding. Seeds and regression inputs live under
 * src/test/resources/io/bitnet4j/fuzz/GgufFuzzTestInputs/ (a small valid file with a tokenizer, see FuzzSeeds).
 */
class GgufFuzzTest {
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("gguf-fuzz", ".gguf");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void openAndReadEverything(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try (GgufFile g = GgufFile.open(FILE)) {
            for (String key : g.metadata().keySet()) g.find(key);
            for (GgufTensorInfo t : g.tensors()) {
                var data = g.data(t);
                if (data.byteSize() > 0) data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, data.byteSize() - 1);
            }
            try {
                ModelConfig.fromGguf(g);
            } catch (GgufException expected) {
                // most mutated files are not models
            }
            try {
                if (g.has("tokenizer.ggml.tokens")) {
                    GgufTokenizer.validate(g, g.getStringArray("tokenizer.ggml.tokens").size());
                    GgufTokenizer.load(g, null).encode("hello <|eot_id|> world", true);
                }
            } catch (GgufException expected) {
                // a malformed tokenizer must be reported this way
            }
        } catch (GgufException expected) {
            // the documented failure for a malformed file
        }
    }
}
