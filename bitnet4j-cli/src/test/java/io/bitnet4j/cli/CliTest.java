package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitnet4j.synthetic.SyntheticModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user runs it: exit codes, one-line errors, and the output formats other tools read. */
class CliTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
    }

    record Run(int code, String out, String err) {}

    static synchronized Run run(String stdin, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        InputStream oldIn = System.in;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    @Test
    void generateStreamsTextAndReportsSpeed() {
        Run r = run("", "generate", "-m", model.toString(), "-p", "the cat", "-n", "12", "--seed", "1", "-t", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("the cat"), r.out());
        assertTrue(r.err().contains("tokens/s"), r.err());
        assertTrue(r.err().contains("kernels: native"), r.err());
    }

    @Test
    void benchComparesConfigurationsInMarkdown() {
        Run r = run("", "bench", "-m", model.toString(), "-p", "8", "-n", "2", "-r", "1", "--no-roofline", "--sessions", "1,2",
                "--bench-kernels", "auto,vector", "--bench-output-types", "f16,q4", "--bench-batch", "4,8", "--no-progress", "-t", "1");
        assertEquals(0, r.code(), r.err());
        // 2 kernels x 2 output types x 2 batch sizes, each with pp8, tg2 and tg2 x2 sessions
        long rows = r.out().lines().filter(l -> l.startsWith("| tiny.gguf")).count();
        assertEquals(24, rows, r.out());
        assertTrue(r.out().contains("| 4 | native") && r.out().contains("| q4 | auto | pp8 |") && r.out().contains("| f16 | auto | tg2 x2 sessions |"), r.out());
        assertTrue(r.out().contains("vector") && r.out().contains("native"), r.out());
        assertTrue(r.out().contains("| roofline | rss |") && r.err().contains("memory after tg2 x2 sessions: resident "), r.err());
        assertEquals(2, run("", "bench", "-m", model.toString(), "--bench-output-types", "q5", "-p", "8", "-n", "0", "--no-roofline").code());
    }

    @Test
    void sameSeedSameText() {
        Run a = run("", "generate", "-m", model.toString(), "-p", "a", "-n", "16", "--seed", "42");
        Run b = run("", "generate", "-m", model.toString(), "-p", "a", "-n", "16", "--seed", "42");
        assertEquals(a.out(), b.out());
    }

    @Test
    void chatAnswersEachLine() {
        Run r = run("hello\nhow are you\n/exit\n", "chat", "-m", model.toString(), "-n", "8", "--seed", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("chat format: bitnet"), r.err());
        assertEquals(2, r.err().split("generated:", -1).length - 1, r.err());
    }

    @Test
    void infoShowsKernelsAndTensors() {
        Run r = run("", "info", "-m", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ISAs supported"), r.out());
        assertTrue(r.out().contains("I2_S"), r.out());
        assertTrue(r.out().contains("general.architecture"), r.out());
        for (String component : new String[] {"weights: ", "f16 table: ", "output copy: ", "kv cache: ", "jvm heap: ", "other: ", "resident: "})
            assertTrue(r.out().contains("\n" + component), component + " missing in: " + r.out());
        Run low = run("", "info", "-m", model.toString(), "--low-memory");
        assertEquals(0, low.code(), low.err());
        assertTrue(low.out().contains("\nf16 table: 0.0 MiB") && !low.out().contains("\noutput copy: 0.0 MiB"), low.out());
    }

    @Test
    void logitsWritesFixtureJson() throws Exception {
        Path out = dir.resolve("l.json");
        Run r = run("", "logits", "-m", model.toString(), "--tokens", "1 2 3", "--n-gen", "2", "--output", out.toString(), "-t", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertEquals(3, json.get("prompt_logits").size());
        assertEquals(2, json.get("generated").size());
        assertEquals(512, json.get("gen_logits").get(0).size());
        assertTrue(json.get("made_by").asText().startsWith("bitnet4j "), json.get("made_by").asText());
        // Every float parses back to the very float the model computed: the greedy token is the argmax of its row.
        int[] prompt = {1, 2, 3};
        try (var m = io.bitnet4j.model.Model.load(model, io.bitnet4j.model.Model.Options.builder().threads(1).build());
             var s = m.newSession()) {
            var dump = io.bitnet4j.model.LogitsDump.run(s, prompt, 2, false);
            JsonNode row = json.get("prompt_logits").get(2);
            for (int i = 0; i < row.size(); i++) assertEquals(dump.promptLogits().get(2)[i], row.get(i).floatValue(), "logit " + i);
        }
    }

    @Test
    void tokenizeWritesOneLinePerText() throws Exception {
        Path in = dir.resolve("t.inp"), out = dir.resolve("t.out");
        Files.writeString(in, "Hello world\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n a b\n__ggml_vocab_test__\n");
        Run r = run("", "tokenize", "-m", model.toString(), "--input", in.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        var lines = Files.readAllLines(out);
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith(" "), lines.get(0));
        assertEquals("", lines.get(1));
    }

    @Test
    void badUsageIsOneLineAndNonZero() {
        Run unknown = run("", "generate", "--bogus");
        assertEquals(2, unknown.code());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        Run missing = run("", "generate", "-m", dir.resolve("nope.gguf").toString(), "-p", "x");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("model file not found"), missing.err());
        Run threads = run("", "generate", "-m", model.toString(), "-p", "x", "-t", "-3");
        assertEquals(2, threads.code());
        assertTrue(threads.err().contains("threads"), threads.err());
        Run notGguf = run("", "info", "-m", writeGarbage().toString());
        assertEquals(1, notGguf.code());
        assertTrue(notGguf.err().startsWith("bitnet4j: cannot load"), notGguf.err());
    }

    static Path writeGarbage() {
        try {
            Path p = dir.resolve("garbage.gguf");
            Files.writeString(p, "this is not a gguf file at all");
            return p;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
