package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** generate's llama-cli flags: -n -1, -s -1, --ignore-eos, -sp, --parse-special, --no-progress. */
class GenerateCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
    }

    static CliTest.Run generate(String... extra) {
        String[] base = {"generate", "-m", model.toString(), "-t", "1", "--no-echo", "--no-progress"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliTest.run("", args);
    }

    static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "'" + regex + "' not in: " + text);
        return m.group(1);
    }

    @Test
    void randomSeedIsPrintedAndReproducesTheText() {
        CliTest.Run first = generate("-p", "the cat", "-n", "24", "-s", "-1");
        assertEquals(0, first.code(), first.err());
        String seed = group(first.err(), "sampling: seed (\\d+),");
        CliTest.Run again = generate("-p", "the cat", "-n", "24", "-s", seed);
        assertEquals(first.out(), again.out(), "the printed seed gives the same text");
        assertTrue(again.err().contains("sampling: seed " + seed + ","), again.err());
        CliTest.Run other = generate("-p", "the cat", "-n", "24"); // no -s: random too
        assertNotEquals(seed, group(other.err(), "sampling: seed (\\d+),"), "two random seeds in a row are not equal");
    }

    @Test
    void minusOneGeneratesUntilTheContextIsFull() {
        CliTest.Run r = generate("-p", "a", "-n", "-1", "--ignore-eos", "-c", "40", "-s", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("stop: context full"), r.err());
        int prompt = Integer.parseInt(group(r.err(), "prompt: (\\d+) tokens")), generated = Integer.parseInt(group(r.err(), "generated: (\\d+) tokens"));
        assertEquals(40 - prompt + 1, generated);
        CliLimitsTest.oneLineError(generate("-p", "a", "-n", "-2"), 2, "-n must be -1");
    }

    @Test
    void ignoreEosNeverEndsAtAnEndToken() {
        // Greedy runs with and without --ignore-eos differ exactly where an end token would win: find a seed whose
        // free run ends early, then check that --ignore-eos goes on to the limit.
        for (int seed = 1; seed <= 40; seed++) {
            CliTest.Run free = generate("-p", "x", "-n", "200", "--temp", "1.5", "-s", Integer.toString(seed));
            if (!free.err().contains("stop: end of generation")) continue;
            CliTest.Run ignoring = generate("-p", "x", "-n", "200", "--temp", "1.5", "-s", Integer.toString(seed), "--ignore-eos");
            assertTrue(ignoring.err().contains("stop: max tokens"), ignoring.err());
            assertEquals("200", group(ignoring.err(), "generated: (\\d+) tokens"));
            return;
        }
        throw new AssertionError("no seed in 1..40 ended at an end token: the test model cannot show --ignore-eos");
    }

    @Test
    void specialPrintsControlTokensAndOnlyThen() {
        // Control tokens of the test vocabulary (BOS, reserved, header ids) are drawn now and then without filters.
        String[] args = {"-p", "x", "-n", "400", "--temp", "2", "--top-k", "0", "--top-p", "1", "--min-p", "0", "-s", "11", "--ignore-eos"};
        CliTest.Run plain = generate(args);
        CliTest.Run special = generate(concat(args, "-sp"));
        assertEquals(0, special.code(), special.err());
        assertTrue(special.out().contains("<|"), "some control token is drawn: " + special.out());
        assertFalse(plain.out().contains("<|"), plain.out());
        assertEquals(plain.out(), special.out().replaceAll("<\\|[a-z_0-9]+\\|>", ""), "the same text around them");
    }

    @Test
    void parseSpecialReadsControlTokensInThePrompt() {
        CliTest.Run parsed = generate("-p", "<|eot_id|>", "-n", "1", "--parse-special");
        CliTest.Run plain = generate("-p", "<|eot_id|>", "-n", "1");
        assertEquals("2", group(parsed.err(), "prompt: (\\d+) tokens"), "BOS and one control token");
        assertTrue(Integer.parseInt(group(plain.err(), "prompt: (\\d+) tokens")) > 2, plain.err());
    }

    @Test
    void noProgressLeavesOnlyTheFinalLines() {
        CliTest.Run r = generate("-p", "x", "-n", "2");
        assertTrue(r.err().contains("loading tiny.gguf: loaded in"), r.err());
        assertFalse(r.err().contains("%"), "no progress line: " + r.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void cacheTypeQ8RunsAndAnUnknownCacheTypeIsAUsageError() {
        CliTest.Run q8 = generate("-p", "the cat", "-n", "24", "--temp", "0", "--ignore-eos", "--cache-type", "q8");
        assertEquals(0, q8.code(), q8.err());
        assertTrue(q8.err().contains("generated: 24 tokens"), q8.err());
        CliLimitsTest.oneLineError(generate("-p", "x", "--cache-type", "q5"), 2, "cache type");
        CliLimitsTest.oneLineError(generate("-p", "x", "--cache-type", "q8", "--numerics", "exact"), 2, "cache type f16");
    }

    @Test
    void lowMemoryGeneratesTheDefaultsGreedyTextAndCachesTheCopyWhenAsked() {
        String[] greedy = {"-p", "the cat", "-n", "40", "--temp", "0", "--ignore-eos"};
        CliTest.Run f16 = generate(greedy);
        assertEquals(0, f16.code(), f16.err());
        String[] low = java.util.Arrays.copyOf(greedy, greedy.length + 2);
        low[greedy.length] = "--low-memory";
        low[greedy.length + 1] = "--output-cache";
        Path cache = dir.resolve("tiny.gguf.q4.b4j-output");
        for (int run = 0; run < 2; run++) { // makes the cache, then reads it
            CliTest.Run r = generate(low);
            assertEquals(0, r.code(), r.err());
            assertEquals(f16.out(), r.out(), "run " + run + ": greedy text as with the F16 table in memory");
            assertTrue(java.nio.file.Files.isRegularFile(cache), "the q4 copy is cached beside the model");
        }
        CliLimitsTest.oneLineError(generate("-p", "x", "--low-memory", "--output-type", "f16"), 2, "low memory");
    }
}
