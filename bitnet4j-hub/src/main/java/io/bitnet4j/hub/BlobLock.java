package io.bitnet4j.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive right to download one blob: a lock on {@code .locks/models--ORG--NAME/ETAG.lock} held by the
 * operating system for this process (released when it exits, however it exits), plus a lock per lock file within
 * this JVM, because the OS lock belongs to the whole process and Java refuses to take it twice. The lock file is
 * left in place: deleting it would let a third process lock a new file while the second still holds the old one.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_THIS_JVM = new ConcurrentHashMap<>();
    private static final long POLL_MILLIS = 250;

    private final ReentrantLock jvmLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private BlobLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
        this.jvmLock = jvmLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /** Waits until the lock is free, calling {@code whileWaiting} every quarter second meanwhile. */
    static BlobLock acquire(Path lockFile, Runnable whileWaiting) throws IOException {
        ReentrantLock jvmLock = IN_THIS_JVM.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        try {
            while (!jvmLock.tryLock(POLL_MILLIS, TimeUnit.MILLISECONDS)) whileWaiting.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + lockFile, e);
        }
        FileChannel channel = null;
        boolean locked = false;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            while ((lock = channel.tryLock()) == null) {
                whileWaiting.run();
                Thread.sleep(POLL_MILLIS);
            }
            locked = true;
            return new BlobLock(jvmLock, channel, lock);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + lockFile, e);
        } finally {
            if (!locked) {
                if (channel != null) channel.close();
                jvmLock.unlock();
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            fileLock.release();
            channel.close();
        } finally {
            jvmLock.unlock();
        }
    }
}
