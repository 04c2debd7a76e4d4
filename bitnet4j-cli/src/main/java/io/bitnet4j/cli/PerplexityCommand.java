package io.bitnet4j.cli;

import io.bitnet4j.model.Model;
import io.bitnet4j.model.Perplexity;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a text file: consecutive non-overlapping chunks of --window tokens, each a fresh",
                "context fed BOS + chunk, every chunk token scored (scripts/train-tiny-model/eval.py's protocol)."})
final class PerplexityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "UTF-8 text")
    Path file;

    @Option(names = "--window", paramLabel = "N", defaultValue = "0", description = "tokens per chunk, 0 = the model's context - 1 (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--no-bos", description = "no BOS before each chunk (then a chunk's first token is not scored)")
    boolean noBos;

    @Option(names = "--max-windows", paramLabel = "N", defaultValue = "0", description = "stop after N windows, 0 = all")
    int maxWindows;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) throw new CliException("text file not found: " + file);
        try (Model m = model.load(System.err)) {
            Report.system(System.err, m);
            Tokenizer tok = model.tokenizer(m);
            int[] ids = tok.encode(new String(Files.readAllBytes(file), StandardCharsets.UTF_8), false) /* malformed UTF-8 becomes U+FFFD */;
            int w = window > 0 ? window : Math.min(m.config().contextLength(), 4096) - 1;
            if (maxWindows > 0 && ids.length > (long) maxWindows * w) ids = java.util.Arrays.copyOf(ids, maxWindows * w);
            System.err.printf("%d tokens, %d chunks of up to %d%n", ids.length, (ids.length + w - 1) / w, w);
            long start = System.nanoTime();
            Perplexity p = Perplexity.compute(m, ids, w, noBos ? -1 : tok.bos(),
                    (stage, done, total) -> {
                        if (System.console() != null) System.err.printf("\r[%d/%d chunks]", done, total);
                    });
            double secs = (System.nanoTime() - start) / 1e9;
            System.err.println();
            System.out.printf("perplexity: %.4f over %d scored tokens (%.1f tokens/s)%n", p.value(), p.tokens(), p.tokens() / secs);
        }
        return 0;
    }
}
