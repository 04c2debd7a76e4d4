package io.bitnet4j.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The rows of a 2-D tensor left in the file, read on demand with positional reads (pread) into the caller's
 * buffer: nothing stays mapped or resident but what the caller keeps. Thread-safe: any number of threads may read
 * at once, each into its own buffer.
 *
 * <p>A read that comes back short (the file was truncated after loading) fails with an {@link UncheckedIOException}
 * around a {@link GgufException} naming the file, tensor and row. A thread interrupted during a read closes a
 * {@link FileChannel} for every thread; the channel is then reopened, so one cancelled generation does not break
 * the others.
 */
public final class TensorRows implements AutoCloseable {
    private final Path path;
    private final String name;
    private final long offset, rowBytes, fileSize;
    private final int rows;
    private volatile FileChannel channel;
    private volatile boolean closed;

    /**
     * Rows of {@code t} in the file behind {@code gguf}: {@code rows} of {@code rowBytes} bytes from the tensor's
     * offset. Fails if the file on disk no longer has the size it had when {@code gguf} was loaded.
     */
    public TensorRows(GgufFile gguf, GgufTensorInfo t, int rows, long rowBytes) throws IOException {
        if (rows < 1 || rowBytes < 1 || rows * rowBytes != t.byteSize())
            throw new IllegalArgumentException("tensor '" + t.name() + "' is " + t.byteSize() + " bytes, not " + rows + " rows of " + rowBytes);
        this.path = gguf.path();
        this.name = t.name();
        this.offset = t.dataOffset();
        this.rowBytes = rowBytes;
        this.rows = rows;
        this.fileSize = gguf.fileSize();
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        long now = channel.size();
        if (now != fileSize) {
            channel.close();
            throw new GgufException(path + " is now " + now + " bytes, it was " + fileSize + " when loaded: the file changed");
        }
    }

    public int rows() {
        return rows;
    }

    public long rowBytes() {
        return rowBytes;
    }

    /** The file offset of the tensor's first byte. */
    public long offset() {
        return offset;
    }

    public Path path() {
        return path;
    }

    /** Copies rows [first, first + count) into dst at dstOffset (count * rowBytes bytes). */
    public void read(int first, int count, MemorySegment dst, long dstOffset) {
        if (first < 0 || count < 0 || first > rows - count)
            throw new IndexOutOfBoundsException("rows [" + first + ", " + ((long) first + count) + ") of tensor '" + name + "' with " + rows + " rows");
        ByteBuffer buf = dst.asSlice(dstOffset, count * rowBytes).asByteBuffer();
        long at = offset + first * rowBytes;
        // an interrupt pending now would close the channel at the first read: set it aside, restore it afterwards
        boolean interrupted = Thread.interrupted();
        try {
            while (buf.hasRemaining()) {
                if (closed) throw new IllegalStateException("tensor rows of " + path + " closed");
                FileChannel ch = channel;
                try {
                    int n = ch.read(buf, at + buf.position());
                    if (n < 0)
                        throw new UncheckedIOException(new GgufException(path + " ends at byte " + (at + buf.position()) + " while reading row "
                                + first + (count > 1 ? ".." + (first + count - 1) : "") + " of tensor '" + name
                                + "' (it was " + fileSize + " bytes when loaded: the file was truncated)"));
                } catch (ClosedByInterruptException e) { // interrupted during the read: read again without the flag
                    interrupted |= Thread.interrupted();
                    interrupted |= reopen(ch);
                } catch (ClosedChannelException e) { // another thread's interrupt closed it
                    interrupted |= reopen(ch);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Replaces a channel closed under a reader, once (the first thread to notice does it); returns whether this
     * thread was interrupted meanwhile (the flag is cleared to open the file, the caller restores it).
     */
    private synchronized boolean reopen(FileChannel broken) {
        boolean interrupted = false;
        while (!closed && channel == broken) {
            interrupted |= Thread.interrupted();
            try {
                FileChannel fresh = FileChannel.open(path, StandardOpenOption.READ);
                long size;
                try {
                    size = fresh.size();
                } catch (IOException e) {
                    fresh.close();
                    throw e;
                }
                if (size != fileSize) {
                    fresh.close();
                    throw new UncheckedIOException(new GgufException(path + " is now " + size + " bytes, it was " + fileSize + " when loaded: the file changed"));
                }
                channel = fresh;
            } catch (ClosedByInterruptException e) {
                // interrupted again while opening: clear the flag and try once more
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return interrupted;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
