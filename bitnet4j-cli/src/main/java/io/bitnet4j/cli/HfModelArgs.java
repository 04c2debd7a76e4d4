package io.bitnet4j.cli;

import io.bitnet4j.hub.ModelSource;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code -hf REPO[:FILE]}: a model from the Hugging Face Hub, wherever a command takes {@code -m FILE}. */
final class HfModelArgs {
    @Option(names = {"-hf", "--hf-repo"}, paramLabel = "REPO[:FILE]",
            description = "model from the Hugging Face Hub, downloaded into its cache on first use, e.g. microsoft/bitnet-b1.58-2B-4T-gguf "
                    + "(FILE: a file of the repository, or part of its name such as i2_s; default: its GGUF file)")
    String repo;

    @Option(names = "--hf-file", paramLabel = "FILE", description = "the file of the -hf repository (the same as -hf REPO:FILE)")
    String file;

    @Mixin HubArgs hub;

    private Path resolved; // commands may ask twice (to load, to name the model): one resolution, one message

    boolean given() {
        return repo != null || file != null;
    }

    /** The -hf model's local file; {@code modelFile} is -m's value, which must then be absent. */
    Path resolve(Path modelFile) {
        if (resolved != null) return resolved;
        if (repo == null) throw new CliException("--hf-file needs -hf REPO");
        if (modelFile != null) throw new CliException("give the model once: -m FILE or -hf REPO, not both");
        ModelSource source = ModelSource.parse(repo);
        if (file != null) {
            if (source.file() != null && !source.file().equals(file))
                throw new CliException("-hf names file " + source.file() + " and --hf-file " + file + ": give one");
            source = source.withFile(file);
        }
        resolved = hub.fetch(source, System.err).path();
        return resolved;
    }
}
