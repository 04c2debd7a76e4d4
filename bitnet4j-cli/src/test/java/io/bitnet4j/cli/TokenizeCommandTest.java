package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.synthetic.SyntheticModel;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenize prints as llama-tokenize does; detokenize reads those ids back. */
class TokenizeCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Tokenizer tok;

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
        try (GgufFile g = GgufFile.open(model)) {
            tok = GgufTokenizer.load(g, null);
        }
    }

    @Test
    void printsOneLinePerTokenWithBosFirst() {
        CliTest.Run r = CliTest.run("", "tokenize", "-m", model.toString(), "-p", "Hello world", "--show-count");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        int[] expected = tok.encodeWithBos("Hello world", true);
        assertEquals(expected.length + 1, lines.size(), r.out());
        assertEquals(String.format("%6d -> '<|begin_of_text|>'", tok.bos()), lines.getFirst());
        for (int i = 0; i < expected.length; i++)
            assertEquals(String.format("%6d -> '%s'", expected[i], tok.decode(new int[] {expected[i]})), lines.get(i));
        assertEquals("Total number of tokens: " + expected.length, lines.getLast());
    }

    @Test
    void idsRoundTripThroughDetokenize() {
        CliTest.Run ids = CliTest.run("", "tokenize", "-m", model.toString(), "-p", "Four score and seven years", "--ids", "--no-bos");
        assertEquals(0, ids.code(), ids.err());
        String list = ids.out().strip();
        assertTrue(list.matches("\\[\\d+(, \\d+)*]"), list);
        assertEquals(Arrays.toString(tok.encode("Four score and seven years", true)), list);
        CliTest.Run back = CliTest.run(list, "detokenize", "-m", model.toString()); // from stdin
        assertEquals("Four score and seven years\n", back.out());
        CliTest.Run args = CliTest.run("", GenerateCommandTest.concat(new String[] {"detokenize", "-m", model.toString()},
                list.replaceAll("[\\[\\],]", "").split(" ")));
        assertEquals(back.out(), args.out());
    }

    @Test
    void specialTokensAreParsedUnlessSaidNot() {
        CliTest.Run parsed = CliTest.run("", "tokenize", "-m", model.toString(), "-p", "<|eot_id|>", "--ids", "--no-bos");
        assertEquals("[" + tok.eot() + "]", parsed.out().strip());
        CliTest.Run plain = CliTest.run("", "tokenize", "-m", model.toString(), "-p", "<|eot_id|>", "--ids", "--no-bos", "--no-parse-special");
        assertTrue(plain.out().split(",").length > 1, plain.out());
        CliTest.Run withBos = CliTest.run("<|eot_id|>", "detokenize", "-m", model.toString(), "--no-special", tok.bos() + "," + tok.eot());
        assertEquals("\n", withBos.out(), "control tokens left out");
    }

    @Test
    void badInputIsOneLine() {
        CliLimitsTest.oneLineError(CliTest.run("", "tokenize", "-m", model.toString()), 2, "-p TEXT");
        CliLimitsTest.oneLineError(CliTest.run("", "tokenize", "-m", model.toString(), "-p", "a", "-f", "b"), 2, "once");
        CliLimitsTest.oneLineError(CliTest.run("", "detokenize", "-m", model.toString(), "1", "x"), 2, "integers");
        CliLimitsTest.oneLineError(CliTest.run("", "detokenize", "-m", model.toString(), "99999"), 2, "outside the vocabulary");
    }
}
