package io.bitnet4j.cli;

import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "detokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Turn token ids back into text: ids as arguments, or on stdin when none are given, written",
                "as 'tokenize --ids' prints them ([1, 2, 3]) or separated by spaces or commas."})
final class DetokenizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF file holding the vocabulary (or -hf REPO; default: the bundled model)")
    Path model;

    @Mixin HfModelArgs hf;

    @Option(names = "--no-special", description = "leave control tokens (BOS, <|eot_id|>, ...) out of the text")
    boolean noSpecial;

    @Parameters(paramLabel = "ID", arity = "0..*", description = "token ids (default: read from stdin)")
    List<String> ids = List.of();

    @Override
    public Integer call() throws IOException {
        Tokenizer tok = TokenizeCommand.load(hf.given() ? hf.resolve(model) : model, null);
        String text = ids.isEmpty() ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : String.join(" ", ids);
        int[] parsed = TokenizeCommand.parseIdList(text);
        for (int id : parsed)
            if (id < 0 || id >= tok.vocabSize()) throw new UsageException("token id " + id + " is outside the vocabulary [0, " + tok.vocabSize() + ")");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println(tok.decode(parsed, !noSpecial));
        return 0;
    }
}
