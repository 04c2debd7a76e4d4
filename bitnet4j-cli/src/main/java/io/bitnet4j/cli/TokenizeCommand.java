package io.bitnet4j.cli;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.PreTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokenize texts with a model's tokenizer (no BOS). Input: texts separated by lines",
                "'__ggml_vocab_test__'; output: one line of space-separated ids per text, each starting with a space."})
final class TokenizeCommand implements Callable<Integer> {
    static final String SEPARATOR = "__ggml_vocab_test__";

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF file holding the vocabulary (or -hf REPO)")
    Path model;

    @Mixin HfModelArgs hf;

    @Option(names = "--tokenizer", paramLabel = "MODE",
            description = "BPE pre-tokenizer: llama3 (LLaMA-3 split), compat (bitnet.cpp's default pre-tokenizer) or falcon3 "
                    + "(default: the file's tokenizer.ggml.pre, else llama3; SentencePiece vocabularies have none)")
    String mode;

    @Option(names = "--parse-special", description = "match special tokens such as <|eot_id|> in the text")
    boolean parseSpecial;

    @Option(names = "--input", required = true, paramLabel = "TEXTS", description = "the texts file")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "IDS", description = "where to write the ids")
    Path output;

    @Override
    public Integer call() throws IOException {
        PreTokenizer pre = ModelOptions.preTokenizer(mode);
        Path model = hf.given() ? hf.resolve(this.model) : this.model;
        if (model == null) throw new CliException("give the model: -m FILE or -hf REPO");
        if (!Files.isRegularFile(model)) throw new CliException("model file not found: " + model);
        if (!Files.isRegularFile(input)) throw new CliException("input file not found: " + input);
        Tokenizer tok;
        try (GgufFile g = GgufFile.open(model)) {
            tok = GgufTokenizer.load(g, pre);
        }
        StringBuilder out = new StringBuilder();
        for (String text : splitTexts(new String(Files.readAllBytes(input), StandardCharsets.UTF_8)) /* malformed UTF-8 becomes U+FFFD */) {
            for (int id : tok.encode(text, parseSpecial)) out.append(' ').append(id);
            out.append('\n');
        }
        Files.writeString(output, out, StandardCharsets.UTF_8);
        return 0;
    }

    /** Texts each followed by a line "__ggml_vocab_test__" (llama.cpp's vocabulary test format). */
    static java.util.List<String> splitTexts(String all) {
        String marker = "\n" + SEPARATOR + "\n";
        var texts = new java.util.ArrayList<>(java.util.Arrays.asList(all.split(java.util.regex.Pattern.quote(marker), -1)));
        if (all.endsWith(marker)) texts.removeLast();
        return texts;
    }
}
