package io.bitnet4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.bitnet4j.model.LogitsDump;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logits", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Feed token ids as they are (no BOS), then generate greedily, and write every logits row as JSON",
                "(fields prompt, prompt_logits, generated, gen_logits: the format of bitnet.cpp parity fixtures)."})
final class LogitsCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--tokens", required = true, paramLabel = "\"ID ID ...\"", description = "token ids, space separated")
    String tokens;

    @Option(names = "--n-gen", paramLabel = "N", defaultValue = "0", description = "greedy tokens to generate after the prompt (default: ${DEFAULT-VALUE})")
    int nGen;

    @Option(names = "--prefill", description = "feed the prompt in one batched call (default: one token per call)")
    boolean prefill;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.json", description = "where to write the JSON")
    Path output;

    @Override
    public Integer call() throws IOException {
        int[] prompt = parseIds(tokens);
        if (nGen < 0) throw new CliException("--n-gen must not be negative, got " + nGen);
        try (Model m = model.load(System.err); Session s = m.newSession(Math.min(m.config().contextLength(), Math.max(prompt.length + nGen, 1)))) {
            var result = LogitsDump.run(s, prompt, nGen, prefill);
            writeJson(result, "bitnet4j " + Main.version() + " " + m.kernelsDescription() + (prefill ? " prefill" : " decode"), output);
            System.err.printf("wrote %d prompt rows and %d generated tokens to %s%n", prompt.length, result.generated().length, output);
        }
        return 0;
    }

    /**
     * The fixture JSON: made_by, prompt, prompt_logits, generated, gen_logits. Streamed (a 2B4T row is 128256
     * floats); each float in its shortest form that parses back to the same float32, non-finite ones as null.
     */
    static void writeJson(LogitsDump dump, String madeBy, Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
             JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("made_by", madeBy);
            g.writeFieldName("prompt");
            g.writeArray(dump.prompt(), 0, dump.prompt().length);
            writeRows(g, "prompt_logits", dump.promptLogits());
            g.writeFieldName("generated");
            g.writeArray(dump.generated(), 0, dump.generated().length);
            writeRows(g, "gen_logits", dump.genLogits());
            g.writeEndObject();
        }
    }

    private static void writeRows(JsonGenerator g, String field, List<float[]> rows) throws IOException {
        g.writeArrayFieldStart(field);
        for (float[] row : rows) {
            g.writeStartArray();
            for (float v : row) {
                if (Float.isFinite(v)) g.writeNumber(v);
                else g.writeNull();
            }
            g.writeEndArray();
        }
        g.writeEndArray();
    }

    static int[] parseIds(String s) {
        String t = s.trim();
        if (t.isEmpty()) throw new CliException("--tokens is empty");
        try {
            return Arrays.stream(t.split("[\\s,]+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new CliException("--tokens must be integers separated by spaces: " + e.getMessage());
        }
    }
}
