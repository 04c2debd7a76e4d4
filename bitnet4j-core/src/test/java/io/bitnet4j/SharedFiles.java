package io.bitnet4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the project's shared fixtures (parity files, tokenizer vectors): the first folder that exists of
 * system property bitnet4j.shared (surefire sets ../shared), ../shared, /work/shared. Tests that need them
 * skip with a message when none exists.
 */
public final class SharedFiles {
    private SharedFiles() {}

    /** The shared folder, or null when there is none. */
    public static Path dir() {
        for (String candidate : new String[] {System.getProperty("bitnet4j.shared", ""), "../shared", "/work/shared"})
            if (!candidate.isEmpty() && Files.isDirectory(Path.of(candidate))) return Path.of(candidate);
        return null;
    }

    /** A file under the shared folder; skips the calling test when it is absent. */
    public static Path require(String first, String... more) {
        Path dir = dir();
        assumeTrue(dir != null, "shared fixtures not found (../shared, or set -Dbitnet4j.shared=DIR): skipped");
        Path f = dir.resolve(Path.of(first, more));
        assumeTrue(Files.exists(f), f + " is absent: skipped");
        return f;
    }

    /** A parity fixture, e.g. "pa.gguf". */
    public static Path parity(String name) {
        return require("parity", name);
    }
}
