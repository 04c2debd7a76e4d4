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
        description = {"Perplexity of a text file: consecutive non-overlapping windows, each a fresh context,",
                "every token after a window's first one scored."})
final class PerplexityCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "UTF-8 text")
    Path file;

    @Option(names = "--window", paramLabel = "N", defaultValue = "256", description = "tokens per window (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--bos", description = "put BOS in front of every window (not scored)")
    boolean bos;

    @Option(names = "--max-windows", paramLabel = "N", defaultValue = "0", description = "stop after N windows, 0 = all")
    int maxWindows;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) throw new CliException("text file not found: " + file);
        try (Model m = model.load(System.err)) {
            Report.system(System.err, m);
            Tokenizer tok = model.tokenizer(m);
            int[] ids = tok.encode(new String(Files.readAllBytes(file), StandardCharsets.UTF_8), false) /* malformed UTF-8 becomes U+FFFD */;
            if (maxWindows > 0 && ids.length > maxWindows * window) ids = java.util.Arrays.copyOf(ids, maxWindows * window);
            System.err.printf("%d tokens, %d windows of %d%n", ids.length, ids.length / Math.max(1, window), window);
            long start = System.nanoTime();
            Perplexity p = Perplexity.compute(m, ids, window, bos ? tok.bos() : -1,
                    (done, total, so) -> System.err.printf("\r[%d/%d] ppl %.4f", done, total, so.value()));
            double secs = (System.nanoTime() - start) / 1e9;
            System.err.println();
            System.out.printf("perplexity: %.4f over %d scored tokens (%.1f tokens/s)%n", p.value(), p.tokens(), p.tokens() / secs);
        }
        return 0;
    }
}
