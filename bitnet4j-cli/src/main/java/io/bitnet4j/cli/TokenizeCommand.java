package io.bitnet4j.cli;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokenize a text with a model's tokenizer and print the tokens, as llama-tokenize does:",
                "one line \"    ID -> 'piece'\" per token, or with --ids one list [1, 2, 3]. Like llama-tokenize, BOS is",
                "added when the model asks for it and special tokens written in the text are parsed.",
                "Fixture mode (--input/--output): texts separated by lines '__ggml_vocab_test__', no BOS, special",
                "tokens as plain text unless --parse-special; one line of space-separated ids per text."})
final class TokenizeCommand implements Callable<Integer> {
    static final String SEPARATOR = "__ggml_vocab_test__";

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF file holding the vocabulary (or -hf REPO; default: the bundled model)")
    Path model;

    @Mixin HfModelArgs hf;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the text")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the text from a file")
    Path file;

    @Option(names = "--stdin", description = "read the text from standard input")
    boolean stdin;

    @Option(names = "--ids", description = "print only the ids, as a list [1, 2, 3] (Python-parseable)")
    boolean idsOnly;

    @Option(names = "--show-count", description = "also print the number of tokens")
    boolean showCount;

    @Option(names = "--no-bos", description = "never add BOS, even when the model asks for it")
    boolean noBos;

    @Option(names = "--no-parse-special", description = "special tokens written in the text are plain text")
    boolean noParseSpecial;

    @Option(names = "--tokenizer", paramLabel = "MODE",
            description = "BPE pre-tokenizer: llama3 (LLaMA-3 split), compat (bitnet.cpp's default pre-tokenizer) or falcon3 "
                    + "(default: the file's tokenizer.ggml.pre, else llama3; SentencePiece vocabularies have none)")
    String mode;

    @Option(names = "--input", paramLabel = "TEXTS", description = "fixture mode: the texts file")
    Path input;

    @Option(names = "--output", paramLabel = "IDS", description = "fixture mode: where to write the ids")
    Path output;

    @Option(names = "--parse-special", description = "fixture mode: match special tokens such as <|eot_id|> in the texts")
    boolean parseSpecial;

    @Override
    public Integer call() throws IOException {
        Tokenizer tok = load(hf.given() ? hf.resolve(model) : model, mode);
        if (input != null || output != null) return fixtures(tok);
        String text = text();
        int[] ids = tok.encode(text, !noParseSpecial);
        if (!noBos && tok.addBos() && tok.bos() >= 0) ids = GenerateCommand.prepend(tok.bos(), ids);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        if (idsOnly) {
            out.println(idList(ids));
        } else {
            for (int id : ids) {
                out.printf("%6d -> '", id);
                out.write(tok.tokenBytes(id)); // the piece's bytes as they are, even half of a UTF-8 character
                out.print("'\n");
            }
        }
        if (showCount) out.println("Total number of tokens: " + ids.length);
        out.flush();
        return 0;
    }

    /** The tokenizer of a GGUF file (the bundled model when none is given), without loading the weights. */
    static Tokenizer load(Path model, String mode) throws IOException {
        Path path = ModelOptions.modelPath(model);
        var pre = ModelOptions.preTokenizer(mode);
        try (GgufFile g = GgufFile.open(path)) {
            return GgufTokenizer.load(g, pre);
        } catch (GgufException e) {
            throw new CliException("cannot read the tokenizer of " + path + ": " + e.getMessage());
        }
    }

    private String text() throws IOException {
        int given = (prompt != null ? 1 : 0) + (file != null ? 1 : 0) + (stdin ? 1 : 0);
        if (given != 1) throw new UsageException("give the text once: -p TEXT, -f FILE or --stdin (or --input/--output for fixtures)");
        if (prompt != null) return prompt;
        if (stdin) return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        if (!Files.isRegularFile(file)) throw new CliException("text file not found: " + file);
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8); // malformed UTF-8 becomes U+FFFD
    }

    private int fixtures(Tokenizer tok) throws IOException {
        if (input == null || output == null) throw new UsageException("fixture mode needs both --input and --output");
        if (!Files.isRegularFile(input)) throw new CliException("input file not found: " + input);
        StringBuilder out = new StringBuilder();
        for (String text : splitTexts(new String(Files.readAllBytes(input), StandardCharsets.UTF_8)) /* malformed UTF-8 becomes U+FFFD */) {
            for (int id : tok.encode(text, parseSpecial)) out.append(' ').append(id);
            out.append('\n');
        }
        Files.writeString(output, out, StandardCharsets.UTF_8);
        return 0;
    }

    /** "[1, 2, 3]": llama-tokenize's --ids format. */
    static String idList(int[] ids) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int id : ids) j.add(Integer.toString(id));
        return j.toString();
    }

    /** Ids written as "[1, 2, 3]", "1 2 3" or "1,2,3". */
    static int[] parseIdList(String text) {
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1).strip();
        if (t.isEmpty()) return new int[0];
        try {
            return Arrays.stream(t.split("[\\s,]+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new UsageException("token ids must be integers separated by spaces or commas: " + e.getMessage());
        }
    }

    /** Texts each followed by a line "__ggml_vocab_test__" (llama.cpp's vocabulary test format). */
    static List<String> splitTexts(String all) {
        String marker = "\n" + SEPARATOR + "\n";
        var texts = new ArrayList<>(Arrays.asList(all.split(Pattern.quote(marker), -1)));
        if (all.endsWith(marker)) texts.removeLast();
        return texts;
    }
}
