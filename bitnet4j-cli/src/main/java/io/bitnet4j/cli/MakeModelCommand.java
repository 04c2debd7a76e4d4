package io.bitnet4j.cli;

import io.bitnet4j.synthetic.SyntheticModel;
import io.bitnet4j.synthetic.SyntheticModel.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "make-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a random-weight GGUF in the exact layout of the official BitNet b1.58 2B4T i2_s file",
                "(same metadata keys, tensor names and types), of any shape: for tests and speed measurements",
                "without the real weights. The same options and seed always give the same bytes."})
final class MakeModelCommand implements Callable<Integer> {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "tiny",
            description = "starting shape: tiny (the shared parity files' shape, 0.7 MB) or 2b4t (BitNet b1.58 2B4T, 1.19 GB) (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the GGUF file to write")
    Path out;

    @Option(names = "--arch", paramLabel = "NAME", description = "bitnet-b1.58 or bitnet-25 (default: the preset's)")
    String arch;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "random seed of weights and vocabulary (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--vocab", paramLabel = "N", description = "vocabulary size") Integer vocab;
    @Option(names = "--embd", paramLabel = "N", description = "embedding width (a multiple of 128)") Integer embd;
    @Option(names = "--layers", paramLabel = "N", description = "transformer blocks") Integer layers;
    @Option(names = "--heads", paramLabel = "N", description = "attention heads") Integer heads;
    @Option(names = "--heads-kv", paramLabel = "N", description = "key/value heads (divides --heads)") Integer headsKv;
    @Option(names = "--ff", paramLabel = "N", description = "feed-forward width (a multiple of 128)") Integer ff;
    @Option(names = "--ctx", paramLabel = "N", description = "trained context length") Integer ctx;
    @Option(names = "--rope-base", paramLabel = "F", description = "RoPE frequency base") Float ropeBase;
    @Option(names = "--eps", paramLabel = "F", description = "RMS norm epsilon") Float eps;

    @Option(names = "--no-progress", description = "no progress lines on stderr")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        Spec spec = spec();
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        System.err.println("writing " + spec + " to " + out);
        Progress progress = new Progress(System.err, "make-model", !noProgress);
        SyntheticModel.write(out, spec, null, seed, progress);
        progress.done(String.format(Locale.ROOT, "wrote %s (%,d bytes) in %.1f s", out, Files.size(out), progress.seconds()));
        return 0;
    }

    /** The preset's shape with the given dimensions replaced. */
    Spec spec() {
        Spec base = switch (preset) {
            case "tiny" -> Spec.tiny();
            case "2b4t" -> Spec.b2b4t();
            default -> throw new UsageException("unknown --preset '" + preset + "', expected tiny or 2b4t");
        };
        try {
            return new Spec(arch != null ? arch : base.arch(), or(vocab, base.vocab()), or(embd, base.nEmbd()),
                    or(layers, base.nLayer()), or(heads, base.nHead()), or(headsKv, base.nHeadKv()), or(ff, base.nFf()),
                    or(ctx, base.ctx()), ropeBase != null ? ropeBase : base.ropeBase(), eps != null ? eps : base.eps());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }
}
