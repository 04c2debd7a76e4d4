package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Perplexity;
import io.bitnet4j.model.Session;
import io.bitnet4j.synthetic.SyntheticModel;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.PreTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** perplexity by llama-perplexity's protocol, checked against a token-by-token reference; the KL-divergence files. */
class PerplexityCommandTest {
    @TempDir
    static Path dir;
    static Path model, text;
    static final int CTX = 32;

    @BeforeAll
    static void write() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
        text = Files.writeString(dir.resolve("text.txt"), ("It is a truth universally acknowledged, that a single man in possession of a good "
                + "fortune, must be in want of a wife. Four score and seven years ago our fathers brought forth on this continent. ").repeat(8));
    }

    static CliTest.Run perplexity(String... extra) {
        String[] base = {"perplexity", "-m", model.toString(), "-t", "1", "--no-progress", "-c", Integer.toString(CTX)};
        return CliTest.run("", GenerateCommandTest.concat(base, extra));
    }

    /** llama-perplexity's protocol written out token by token: nll sum and sum of squares over the scored tokens. */
    static double[] reference(int chunks) throws Exception {
        try (Model m = Model.load(model, Model.Options.builder().threads(1).build()); Session s = m.newSession(CTX)) {
            Tokenizer tok;
            try (GgufFile g = GgufFile.open(model)) {
                tok = GgufTokenizer.load(g, PreTokenizer.BITNET_CPP_COMPAT); // llama.cpp's split: the file names none
            }
            int[] ids = tok.encodeWithBos(Files.readString(text), false);
            double nll = 0, nll2 = 0;
            int count = 0;
            for (int c = 0; c < Math.min(chunks, ids.length / CTX); c++) {
                s.reset();
                for (int j = 0; j < CTX - 1; j++) {
                    float[] logits = s.decode(j == 0 ? tok.bos() : ids[c * CTX + j]);
                    if (j < CTX / 2) continue; // the first half is context only
                    double v = -Perplexity.logSoftmax(logits, ids[c * CTX + j + 1]);
                    nll += v;
                    nll2 += v * v;
                    count++;
                }
            }
            return new double[] {nll, nll2, count};
        }
    }

    static double[] finalEstimate(String out) {
        Matcher m = Pattern.compile("Final estimate: PPL = (\\d+\\.\\d{4}) \\+/- (\\d+\\.\\d{5})").matcher(out);
        assertTrue(m.find(), out);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    @Test
    void finalEstimateMatchesTheProtocolWrittenOut() throws Exception {
        CliTest.Run r = perplexity("-f", text.toString(), "--chunks", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("[1]") && r.out().contains(",[5]") && !r.out().contains("[6]"), r.out());
        double[] ref = reference(5);
        assertEquals(5 * (CTX - 1 - CTX / 2), (int) ref[2]);
        double ppl = Math.exp(ref[0] / ref[2]);
        double mean = ref[0] / ref[2], error = ppl * Math.sqrt((ref[1] / ref[2] - mean * mean) / (ref[2] - 1));
        double[] printed = finalEstimate(r.out());
        assertEquals(ppl, printed[0], 2e-3 * ppl, r.out());
        assertEquals(error, printed[1], 2e-3 * error + 1e-5, r.out());
        assertTrue(r.err().contains("5 chunks of 32, scoring the last 15 tokens of each"), r.err());
        assertTrue(r.err().contains("tokenizer: llama.cpp's default pre-tokenizer"), r.err());
    }

    @Test
    void tooShortATextIsRefusedAsLlamaPerplexityDoes() {
        CliLimitsTest.oneLineError(CliTest.run("", "perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "512"), 1,
                "needs at least 1024");
        CliLimitsTest.oneLineError(perplexity(), 2, "-f FILE");
        CliLimitsTest.oneLineError(perplexity("-f", text.toString(), "--protocol", "sliding"), 2, "'sliding'");
    }

    @Test
    void windowsProtocolIsTheTrainingScriptsOne() throws Exception {
        CliTest.Run r = perplexity("-f", text.toString(), "--protocol", "windows", "--window", "64");
        assertEquals(0, r.code(), r.err());
        try (Model m = Model.load(model, Model.Options.builder().threads(1).build())) {
            Tokenizer tok;
            try (GgufFile g = GgufFile.open(model)) {
                tok = GgufTokenizer.load(g, null);
            }
            Perplexity p = Perplexity.compute(m, tok.encode(Files.readString(text), false), 64, tok.bos(), io.bitnet4j.ProgressListener.NONE);
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "perplexity: %.4f over %d scored tokens", p.value(), p.tokens())), r.out());
        }
    }

    @Test
    void klDivergenceAgainstItselfIsZeroAndAgainstQ4IsSmall() throws Exception {
        Path base = dir.resolve("base.kld");
        CliTest.Run saved = perplexity("-f", text.toString(), "--kl-divergence-base", base.toString());
        assertEquals(0, saved.code(), saved.err());
        int chunks = Integer.parseInt(GenerateCommandTest.group(saved.err(), "(\\d+) chunks of 32"));
        assertTrue(chunks * (CTX - 1 - CTX / 2) >= 100, "enough rows for the summary");
        // llama-perplexity's file layout: magic, n_ctx, n_vocab, n_chunk, tokens, then 16-bit rows
        byte[] bytes = Files.readAllBytes(base);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("_logits_", new String(bytes, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(CTX, b.getInt(8));
        assertEquals(512, b.getInt(12));
        assertEquals(chunks, b.getInt(16));
        long rowBytes = 2L * (2 * ((512 + 1) / 2) + 4);
        assertEquals(20 + 4L * CTX * chunks + rowBytes * chunks * (CTX - 1 - CTX / 2), bytes.length);

        CliTest.Run self = perplexity("--kl-divergence-base", base.toString(), "--kl-divergence");
        assertEquals(0, self.code(), self.err());
        assertTrue(self.out().contains("Same top p: 100.000 ± 0.000 %"), self.out());
        double selfKld = Double.parseDouble(GenerateCommandTest.group(self.out(), "Mean    KLD: +(-?\\d+\\.\\d+)"));
        assertTrue(Math.abs(selfKld) < 1e-4, "only the 16-bit storage differs: " + selfKld);
        double basePpl = Double.parseDouble(GenerateCommandTest.group(self.out(), "Mean PPL\\(base\\) +: +(\\d+\\.\\d+)"));
        assertEquals(finalEstimate(saved.out())[0], basePpl, 1e-3 * basePpl, "the base file holds the saved run's log-probabilities");

        CliTest.Run q4 = perplexity("--kl-divergence-base", base.toString(), "--kl-divergence", "--output-type", "q4");
        assertEquals(0, q4.code(), q4.err());
        double kld = Double.parseDouble(GenerateCommandTest.group(q4.out(), "Mean    KLD: +(-?\\d+\\.\\d+)"));
        double top = Double.parseDouble(GenerateCommandTest.group(q4.out(), "Same top p: +(\\d+\\.\\d+)"));
        assertTrue(kld > selfKld && kld < 0.05, "q4 changes the distribution a little: " + kld);
        assertTrue(top > 90 && top <= 100, q4.out());
        assertEquals(chunks + 1, q4.out().lines().filter(l -> l.matches("^ *\\d+ .*%$|^chunk .*")).count(), q4.out());
    }

    @Test
    void aFileThatIsNoBaseIsRefused() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.kld"), "not a base file at all, just text");
        CliLimitsTest.oneLineError(perplexity("--kl-divergence-base", junk.toString(), "--kl-divergence"), 1, "_logits_");
        CliLimitsTest.oneLineError(perplexity("--kl-divergence", "-f", text.toString()), 2, "--kl-divergence-base");
    }
}
