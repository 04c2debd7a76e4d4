package io.bitnet4j.hub;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.hub.HubClient.Body;
import io.bitnet4j.hub.HubClient.FileMetadata;
import io.bitnet4j.hub.HubException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Brings one blob into the cache. A blob already there is kept when its size and checksum are right. Otherwise,
 * under the blob's lock, the bytes go to {@code ETAG.incomplete}: resumed from its length with a range request,
 * retried with back-off when the connection drops, hashed as they arrive, and moved to {@code blobs/ETAG}
 * atomically only when complete and matching the checksum the hub publishes.
 */
final class Download {
    private static final int MAX_FAILURES_IN_A_ROW = 5;
    private static final long FIRST_BACKOFF_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 8000;
    private static final long STALL_NANOS = 60_000_000_000L;

    private final HubClient client;
    private final HubCache cache;
    private final BlobCheck check;
    private final ProgressListener progress;

    Download(HubClient client, HubCache cache, ProgressListener progress) {
        this.client = client;
        this.cache = cache;
        this.check = new BlobCheck(cache, progress);
        this.progress = progress;
    }

    /** Downloads the blob of {@code file}; returns false when another process brought it in meanwhile. */
    boolean fetch(String repo, String file, FileMetadata meta) throws IOException {
        Path blob = cache.blob(repo, meta.etag());
        Path partial = cache.partial(repo, meta.etag());
        Files.createDirectories(blob.getParent());
        Runnable waiting = () -> progress.progress("waiting for another download of " + file, sizeOf(partial), meta.size());
        try (BlobLock lock = BlobLock.acquire(cache.lockFile(repo, meta.etag()), waiting)) {
            if (check.isValid(repo, meta.etag(), blob, meta.size(), file)) return false;
            Files.deleteIfExists(blob); // truncated or corrupt: never loaded, fetched again
            cache.clearVerified(repo, meta.etag());
            Transfer t = transfer(repo, file, meta, partial);
            if (!t.matches() && t.resumed()) {
                // the old bytes of a resumed download may be the culprit: one more try from scratch
                Files.delete(partial);
                t = transfer(repo, file, meta, partial);
            }
            if (!t.matches()) {
                Files.delete(partial);
                throw new HubException(Kind.CHECKSUM_MISMATCH, "the download of " + file + " from " + repo + " is corrupt: its "
                        + t.sum().algorithm() + " is " + t.actual() + ", the hub publishes " + t.sum().expected()
                        + "; it was deleted (a proxy or mirror altering files? try again)");
            }
            Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
            if (t.sum() != null) cache.markVerified(repo, meta.etag(), blob);
            return true;
        }
    }

    /** A completed transfer: whether it kept earlier bytes, and the checksum of all its bytes (null: none promised). */
    private record Transfer(boolean resumed, Checksum sum, String actual) {
        boolean matches() {
            return sum == null || sum.expected().equals(actual);
        }
    }

    /** Fills {@code partial} to {@code meta.size()} bytes, resuming from its current length, hashing every byte. */
    private Transfer transfer(String repo, String file, FileMetadata meta, Path partial) throws IOException {
        long size = meta.size();
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long have = out.size();
            if (have > size) out.truncate(have = 0);
            Checksum sum = Checksum.forEtag(meta.etag(), size);
            if (have > 0 && sum != null) sum.updateFromFile(partial, "checking the partial download of " + file, have, progress);
            boolean resumed = have > 0;
            requireSpace(partial, size - have, file);
            int failures = 0;
            HubException last = null;
            while (have < size) {
                if (failures > 0) {
                    if (failures >= MAX_FAILURES_IN_A_ROW) throw last;
                    sleep(Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << (failures - 1)));
                }
                long before = have;
                try {
                    Body body = client.open(repo, meta.commit(), file, have);
                    if (body.start() != have) {
                        // the server ignored the range and sends the whole file: start over with it
                        if (body.start() != 0) throw new HubException(Kind.PROTOCOL, "the server answered a range request for "
                                + file + " from byte " + have + " with bytes from " + body.start());
                        out.truncate(have = 0);
                        sum = Checksum.forEtag(meta.etag(), size);
                        resumed = false;
                    }
                    Copied c = copy(body.body(), out, sum, have, size, file, partial);
                    have = c.length();
                    if (have < size) last = new HubException(Kind.NETWORK, (c.stalled() ? "no data for " + STALL_NANOS / 1_000_000_000L + " s" :
                            "the connection closed") + " after " + Sizes.format(have) + " of " + Sizes.format(size) + " of " + file
                            + "; run again to resume");
                } catch (HubException e) {
                    if (e.kind() != Kind.NETWORK && e.kind() != Kind.SERVER) throw e;
                    last = e;
                }
                // a cut after progress earns a short pause and a fresh count; repeated failures back off
                failures = have > before ? (have < size ? 1 : 0) : failures + 1;
            }
            out.force(true);
            return new Transfer(resumed, sum, sum == null ? null : sum.actual());
        }
    }

    private record Copied(long length, boolean stalled) {}

    /** Appends the body to {@code out} until {@code size} bytes are there or the body ends or breaks. */
    private Copied copy(InputStream in, FileChannel out, Checksum sum, long have, long size, String file, Path partial) throws HubException {
        AtomicLong lastBytesAt = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> closeWhenStalled(in, lastBytesAt, stalled));
        String stage = "downloading " + file;
        byte[] buf = new byte[Checksum.CHUNK];
        try (in) {
            out.position(have);
            progress.progress(stage, have, size); // where this transfer starts: listeners count the bytes from here
            int n;
            while (have < size && (n = in.read(buf, 0, (int) Math.min(buf.length, size - have))) >= 0) {
                write(out, ByteBuffer.wrap(buf, 0, n), partial, have);
                if (sum != null) sum.update(ByteBuffer.wrap(buf, 0, n));
                have += n;
                lastBytesAt.set(System.nanoTime());
                progress.progress(stage, have, size);
            }
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            // the connection broke mid-file (or the watchdog closed it): the caller resumes from here
        } finally {
            watchdog.interrupt();
        }
        return new Copied(have, stalled.get());
    }

    private static void closeWhenStalled(InputStream in, AtomicLong lastBytesAt, AtomicBoolean stalled) {
        try {
            while (System.nanoTime() - lastBytesAt.get() < STALL_NANOS) Thread.sleep(1000);
            stalled.set(true);
            in.close(); // wakes the blocked read, which then fails
        } catch (InterruptedException | IOException done) {
            // the copy finished (or the stream is already closed)
        }
    }

    private void write(FileChannel out, ByteBuffer bytes, Path partial, long have) throws HubException {
        try {
            while (bytes.hasRemaining()) out.write(bytes);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("no space") || m.contains("not enough space") || m.contains("quota"))
                throw new HubException(Kind.DISK_FULL, "disk full writing " + partial + " (" + Sizes.format(have)
                        + " written and kept): free some space and run again to resume", e);
            throw new HubException(Kind.IO, "cannot write " + partial + ": " + e.getMessage(), e);
        }
    }

    private static void requireSpace(Path partial, long needed, String file) throws IOException {
        long free = Files.getFileStore(partial).getUsableSpace();
        if (free < needed)
            throw new HubException(Kind.DISK_FULL, "not enough disk space for " + file + ": " + Sizes.format(needed) + " to download, "
                    + Sizes.format(free) + " free in " + partial.getParent() + " (set HF_HUB_CACHE to a folder on a larger disk)");
    }

    private static long sizeOf(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void sleep(long millis) throws HubException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Kind.NETWORK, "interrupted", e);
        }
    }
}
