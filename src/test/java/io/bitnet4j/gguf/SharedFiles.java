package io.bitnet4j.gguf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared fixtures: system property bitnet4j.shared, else /work/shared; tests skip if neither exists. */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path parity(String name) {
        Path dir = null;
        String prop = System.getProperty("bitnet4j.shared");
        if (prop != null && Files.isDirectory(Path.of(prop))) dir = Path.of(prop);
        else if (Files.isDirectory(Path.of("/work/shared"))) dir = Path.of("/work/shared");
        assumeTrue(dir != null, "shared fixtures not found (set -Dbitnet4j.shared=DIR); skipping");
        Path f = dir.resolve("parity").resolve(name);
        assumeTrue(Files.isRegularFile(f), f + " is absent; skipping");
        return f;
    }
}
