package io.bitnet4j.hub;

import io.bitnet4j.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a cached blob holds what its name (the hub's ETag) promises: the right size and checksum. The checksum
 * is computed once and recorded with the blob's size and modification time; it is computed again only when those
 * change, so a multi-gigabyte model is not re-hashed at every start.
 */
final class BlobCheck {
    private final HubCache cache;
    private final ProgressListener progress;

    BlobCheck(HubCache cache, ProgressListener progress) {
        this.cache = cache;
        this.progress = progress;
    }

    /** {@code expectedSize} -1 when unknown (offline): the checksum alone decides. */
    boolean isValid(String repo, String etag, Path blob, long expectedSize, String file) throws IOException {
        if (!Files.isRegularFile(blob)) return false;
        long size = Files.size(blob);
        if (expectedSize >= 0 && size != expectedSize) return false;
        if (cache.isMarkedVerified(repo, etag, blob)) return true;
        Checksum sum = Checksum.forEtag(etag, size);
        if (sum == null) return true; // the ETag promises no checksum: the size is all there is to check
        sum.updateFromFile(blob, "verifying " + file, size, progress);
        if (!sum.actual().equals(sum.expected())) return false;
        cache.markVerified(repo, etag, blob);
        return true;
    }
}
