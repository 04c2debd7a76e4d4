package io.bitnet4j.cli;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Continue a prompt, streaming the text as it is generated.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin SamplingOptions sampling;

    @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "the prompt (or use -p, -f, or '-' for stdin)")
    String positionalPrompt;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the prompt")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the prompt from a file ('-' for stdin)")
    String file;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "128",
            description = "tokens to generate at most; -1 = until the end of generation or of the context (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop when this text is generated (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = "--no-bos", description = "do not prepend the BOS token")
    boolean noBos;

    @Option(names = {"-sp", "--special"}, description = "print special (control) tokens the model generates as their text, e.g. <|start_header_id|>")
    boolean printSpecial;

    @Option(names = "--parse-special", description = "parse special tokens such as <|eot_id|> written in the prompt (default: they are plain text)")
    boolean parseSpecial;

    @Option(names = "--no-echo", description = "do not print the prompt before the generated text")
    boolean noEcho;

    @Override
    public Integer call() throws IOException {
        String text = promptText();
        int limit = tokenLimit(maxTokens);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = System.err;
        try (Model m = model.load(err); Session session = m.newSession()) {
            Report.system(err, m);
            sampling.report(err);
            Tokenizer tok = model.tokenizer(m);
            int[] ids = tok.encode(text, parseSpecial);
            if (!noBos && tok.addBos() && tok.bos() >= 0) ids = prepend(tok.bos(), ids);
            if (ids.length == 0) throw new UsageException("the prompt is empty: give some text, or allow BOS");
            if (ids.length >= session.contextLength())
                throw new CliException("the prompt is " + ids.length + " tokens, the context holds " + session.contextLength() + " (use --ctx-size)");
            if (!noEcho) out.print(text);
            var generator = new Generator(session, tok, sampling.sampler(tok)).withSpecialTokens(printSpecial);
            var result = generator.generate(ids, limit, stops, piece -> {
                out.print(piece);
                out.flush();
                return true;
            });
            out.println();
            Report.timings(err, result);
        }
        return 0;
    }

    /** -n as a token budget: -1 means no limit (the context still ends generation), other negatives are errors. */
    static int tokenLimit(int n) {
        if (n == -1) return Integer.MAX_VALUE;
        if (n < 0) throw new UsageException("-n must be -1 (no limit) or at least 0, got " + n);
        return n;
    }

    private String promptText() throws IOException {
        int given = (positionalPrompt != null ? 1 : 0) + (prompt != null ? 1 : 0) + (file != null ? 1 : 0);
        if (given > 1) throw new UsageException("give the prompt once: as an argument, with -p, or with -f");
        if (file != null || "-".equals(positionalPrompt)) {
            String f = file != null ? file : "-";
            if (f.equals("-")) return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            Path p = Path.of(f);
            if (!Files.isRegularFile(p)) throw new CliException("prompt file not found: " + f);
            // Not Files.readString: it throws on malformed UTF-8, while new String(...) replaces it with U+FFFD.
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        }
        if (prompt != null) return prompt;
        if (positionalPrompt != null) return positionalPrompt;
        return "";
    }

    static int[] prepend(int first, int[] rest) {
        int[] out = new int[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
