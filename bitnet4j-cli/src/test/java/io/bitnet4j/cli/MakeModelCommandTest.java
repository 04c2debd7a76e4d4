package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** make-model writes the very bytes the generator wrote before it moved to picocli (checksums taken then). */
class MakeModelCommandTest {
    @TempDir
    Path dir;

    @Test
    void tinyPresetIsByteIdenticalToBefore() throws Exception {
        Path out = dir.resolve("tiny.gguf");
        CliTest.Run r = CliTest.run("", "make-model", "--preset", "tiny", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("make-model: wrote " + out + " (668,480 bytes)"), r.err());
        assertEquals("7b42570c1e23eb9ca00045696e204d041c2e45f9d756f9c970ffe9efc2a3cff6", sha256(out));
    }

    @Test
    void everyDimensionOptionIsApplied() throws Exception {
        Path out = dir.resolve("sub/custom.gguf"); // the folder is created
        CliTest.Run r = CliTest.run("", "make-model", "--preset", "tiny", "--out", out.toString(), "--seed", "7", "--layers", "3",
                "--ff", "1024", "--arch", "bitnet-25", "--vocab", "1000", "--ctx", "256", "--rope-base", "10000", "--eps", "1e-6",
                "--heads", "8", "--heads-kv", "2", "--embd", "512", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertEquals("5b2f85d9642bb0e7ca642e8a85179070672e194c46a1592e3f197c59835591c8", sha256(out));
    }

    @Test
    void badShapesAreUsageErrors() {
        CliLimitsTest.oneLineError(CliTest.run("", "make-model", "--out", dir.resolve("x.gguf").toString(), "--embd", "100"), 2,
                "multiples of 128", "make-model --help");
        CliLimitsTest.oneLineError(CliTest.run("", "make-model", "--out", dir.resolve("x.gguf").toString(), "--preset", "7b"), 2, "'7b'");
        CliLimitsTest.oneLineError(CliTest.run("", "make-model", "--preset", "tiny"), 2, "--out");
        assertTrue(Files.notExists(dir.resolve("x.gguf")));
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
