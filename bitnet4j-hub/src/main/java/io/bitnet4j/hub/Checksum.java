package io.bitnet4j.hub;

import io.bitnet4j.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The checksum a hub ETag stands for. LFS files (every model file) are named by the SHA-256 of their contents;
 * plain git files by their git blob id, the SHA-1 of {@code "blob SIZE\0"} followed by the contents. Other ETags
 * (some mirrors) carry no checksum: only their size can be checked.
 */
final class Checksum {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern GIT_SHA1 = Pattern.compile("[0-9a-f]{40}");
    static final int CHUNK = 1 << 20;

    private final String expected;
    private final MessageDigest digest;
    private final String algorithm;

    private Checksum(String expected, MessageDigest digest, String algorithm) {
        this.expected = expected;
        this.digest = digest;
        this.algorithm = algorithm;
    }

    /** The checksum {@code etag} promises for a file of {@code size} bytes, or null when it promises none. */
    static Checksum forEtag(String etag, long size) {
        String e = etag.toLowerCase(Locale.ROOT);
        try {
            if (SHA256.matcher(e).matches()) return new Checksum(e, MessageDigest.getInstance("SHA-256"), "SHA-256");
            if (GIT_SHA1.matcher(e).matches()) {
                MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
                sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
                return new Checksum(e, sha1, "git SHA-1");
            }
            return null;
        } catch (NoSuchAlgorithmException impossible) {
            throw new AssertionError("every Java runtime has SHA-256 and SHA-1", impossible);
        }
    }

    void update(ByteBuffer bytes) {
        digest.update(bytes);
    }

    /** Feeds a whole file (a partial download being resumed, or a cached blob), reporting progress. */
    void updateFromFile(Path file, String stage, long total, ProgressListener progress) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long done = 0;
            while (ch.read(buf.clear()) >= 0) {
                buf.flip();
                done += buf.remaining();
                digest.update(buf);
                progress.progress(stage, done, total);
            }
        }
    }

    String algorithm() {
        return algorithm;
    }

    String expected() {
        return expected;
    }

    /** The digest of everything fed so far (this ends the computation). */
    String actual() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
