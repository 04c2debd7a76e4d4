package io.bitnet4j.model;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.kernels.F16Matrix;
import io.bitnet4j.kernels.I8Matrix;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.Q4Matrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The int8 or 4-bit copy of the output projection that ranks the vocabulary ({@link OutputType#I8}, {@link OutputType#Q4}):
 * quantized at load from the F16 table (in memory, or streamed from the file in low-memory mode), or read back from
 * a cache file beside the model, {@code <model file>.<type>.b4j-output} (see {@link #cachePath}).
 *
 * <p>The cache is never trusted blindly. Its header records the model file's size and modification time, the
 * table's offset and shape and a CRC-32C of the F16 table's bytes; its payload has its own CRC-32C. On load the size,
 * time and shape must match, the table is read again to check its CRC (a model changed in place with the same size
 * and time is noticed) and the payload's CRC is checked as it is read. Anything else rebuilds the cache. It is
 * written to a temporary file and renamed, so a crash leaves no half-written cache under the real name.
 */
final class OutputCopy {
    private static final System.Logger LOG = System.getLogger("io.bitnet4j");
    private static final byte[] MAGIC = "B4JOUT01".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final int HEADER = 64;
    private static final int CHUNK_ROWS = 1024; // rows streamed at a time: 5 MiB at 2B4T width

    /** The copy (one of i8 / q4 set) and how it was obtained, for {@link Model#describe}. */
    record Made(I8Matrix i8, Q4Matrix q4, String source) {}

    private OutputCopy() {}

    /** Where the cache of a model's copy lives: beside it, {@code <file name>.<type>.b4j-output}. */
    static Path cachePath(Path model, OutputType type) {
        return model.resolveSibling(model.getFileName() + "." + type.id() + ".b4j-output");
    }

    /**
     * The copy of {@code table} (at {@code tableOffset} in {@code model}) in arena: from the cache when {@code cached}
     * and it is valid, else quantized (and then cached when {@code cached}).
     */
    static Made make(OutputType type, F16Rows table, Path model, long tableOffset, boolean cached, boolean nativePacker,
            Arena arena, Parallel parallel, ProgressListener progress) throws IOException {
        if (type == OutputType.F16) throw new IllegalArgumentException("no copy for output type f16");
        String label = type == OutputType.Q4 ? "4-bit" : "int8";
        if (!cached) {
            Target target = Target.allocate(type, table.rows(), table.cols(), arena);
            quantize(table, target, nativePacker, parallel, progress, label + " output projection", null);
            return target.made("made at load");
        }
        Path cache = cachePath(model, type);
        Header expected = new Header(type, table.rows(), table.cols(), Files.size(model),
                Files.getLastModifiedTime(model).to(TimeUnit.NANOSECONDS), tableOffset, 0, 0);
        String stale = "absent";
        if (Files.exists(cache)) {
            stale = check(cache, expected, table, progress);
            if (stale == null) {
                Target target = Target.allocate(type, table.rows(), table.cols(), arena);
                stale = readPayload(cache, target, progress);
                if (stale == null) return target.made("read from " + cache);
            }
        }
        Target target = Target.allocate(type, table.rows(), table.cols(), arena);
        CRC32C tableCrc = new CRC32C();
        quantize(table, target, nativePacker, parallel, progress, label + " output projection", tableCrc);
        String how = "made at load (cache " + stale + ")";
        try {
            write(cache, expected.with(tableCrc.getValue(), target.crc()), target);
            how += ", cached at " + cache;
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "bitnet4j: cannot write the output cache " + cache + ": " + e);
            how += ", not cached: " + e.getMessage();
        }
        return target.made(how);
    }

    /** The fields of a cache header. */
    record Header(OutputType type, int rows, int cols, long modelSize, long modelTime, long tableOffset, long tableCrc, long payloadCrc) {
        Header with(long tableCrc, long payloadCrc) {
            return new Header(type, rows, cols, modelSize, modelTime, tableOffset, tableCrc, payloadCrc);
        }

        ByteBuffer encode() {
            ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(type.ordinal()).putInt(rows).putInt(cols).putInt(0).putLong(modelSize).putLong(modelTime)
                    .putLong(tableOffset).putLong(tableCrc).putLong(payloadCrc);
            return b.flip();
        }

        static Header decode(ByteBuffer b) {
            b.order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) return null;
            int type = b.getInt();
            if (type < 0 || type >= OutputType.values().length) return null;
            int rows = b.getInt(), cols = b.getInt();
            b.getInt(); // reserved
            return new Header(OutputType.values()[type], rows, cols, b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
        }

        boolean sameModel(Header o) {
            return type == o.type && rows == o.rows && cols == o.cols && modelSize == o.modelSize && modelTime == o.modelTime && tableOffset == o.tableOffset;
        }
    }

    /** Null if the cache's header matches the model and the table's CRC, else why it is stale. */
    private static String check(Path cache, Header expected, F16Rows table, ProgressListener progress) throws IOException {
        Header found;
        long size;
        try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.READ)) {
            size = ch.size();
            ByteBuffer b = ByteBuffer.allocate(HEADER);
            while (b.hasRemaining() && ch.read(b) >= 0) {}
            if (b.hasRemaining()) return "truncated";
            found = Header.decode(b.flip());
        }
        if (found == null) return "not a bitnet4j output cache";
        if (!found.sameModel(expected)) return "stale: made for another model file, size or modification time";
        if (size != HEADER + Target.bytes(expected.type, expected.rows, expected.cols)) return "truncated or too long";
        if (tableCrc(table, progress) != found.tableCrc) return "stale: the model's output table changed";
        return null;
    }

    /** Reads the payload into target; null if its CRC matches the header's, else why not. */
    private static String readPayload(Path cache, Target target, ProgressListener progress) throws IOException {
        long want;
        try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            while (head.hasRemaining() && ch.read(head, head.position()) >= 0) {}
            want = Header.decode(head.flip()).payloadCrc();
            long at = HEADER;
            for (MemorySegment part : target.parts()) {
                ByteBuffer buf = part.asByteBuffer();
                while (buf.hasRemaining()) {
                    int n = ch.read(buf, at + buf.position());
                    if (n < 0) return "truncated";
                }
                at += part.byteSize();
                progress.progress("reading output cache", at - HEADER, target.bytes());
            }
        }
        return target.crc() == want ? null : "corrupt (payload CRC)";
    }

    private static void write(Path cache, Header header, Target target) throws IOException {
        Path tmp = Files.createTempFile(cache.getParent(), cache.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer h = header.encode();
                while (h.hasRemaining()) ch.write(h);
                for (MemorySegment part : target.parts()) {
                    ByteBuffer buf = part.asByteBuffer();
                    while (buf.hasRemaining()) ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** CRC-32C of the whole F16 table, streamed a chunk at a time. */
    static long tableCrc(F16Rows table, ProgressListener progress) {
        CRC32C crc = new CRC32C();
        try (Arena scratch = Arena.ofShared()) { // the workers read it
            int chunk = Math.min(CHUNK_ROWS, table.rows());
            MemorySegment buf = scratch.allocate(2L * chunk * table.cols(), 64);
            for (int first = 0; first < table.rows(); first += chunk) {
                int n = Math.min(chunk, table.rows() - first);
                table.read(first, n, buf, 0);
                crc.update(buf.asSlice(0, 2L * n * table.cols()).asByteBuffer());
                progress.progress("checking output cache", first + n, table.rows());
            }
        }
        return crc.getValue();
    }

    /**
     * Quantizes every row of table into target, rows split across the workers: straight from the table when it is
     * in memory and no CRC is wanted, else streamed a chunk of rows at a time (updating crc with the table's bytes).
     */
    private static void quantize(F16Rows table, Target target, boolean nativePacker, Parallel parallel, ProgressListener progress,
            String stage, CRC32C crc) {
        F16Matrix whole = table.inMemory();
        int rows = table.rows(), cols = table.cols();
        int chunk = whole != null && crc == null ? 4096 : Math.min(CHUNK_ROWS, rows);
        try (Arena scratch = Arena.ofShared()) { // the workers read it
            MemorySegment buf = whole != null && crc == null ? null : scratch.allocate(2L * chunk * cols, 64);
            for (int first = 0; first < rows; first += chunk) {
                int n = Math.min(chunk, rows - first), base = first;
                if (buf == null) {
                    parallel.forRange(n, 1, (b, e) -> target.quantize(whole, base + b, base + e, nativePacker));
                } else {
                    table.read(first, n, buf, 0);
                    if (crc != null) crc.update(buf.asSlice(0, 2L * n * cols).asByteBuffer());
                    F16Matrix rowsHere = new F16Matrix(buf.asSlice(0, 2L * n * cols), n, cols);
                    Target view = target.rows(first, n);
                    parallel.forRange(n, 1, (b, e) -> view.quantize(rowsHere, b, e, nativePacker));
                }
                progress.progress(stage, first + n, rows);
            }
        }
    }

    /** The matrix being filled: exactly one of i8 / q4. */
    private record Target(I8Matrix i8, Q4Matrix q4) {
        static Target allocate(OutputType type, int rows, int cols, Arena arena) {
            return type == OutputType.Q4 ? new Target(null, Q4Matrix.allocate(arena, rows, cols)) : new Target(I8Matrix.allocate(arena, rows, cols), null);
        }

        static long bytes(OutputType type, int rows, int cols) {
            return (type == OutputType.Q4 ? (long) rows * cols / 2 : (long) rows * cols) + 4L * rows;
        }

        long bytes() {
            long n = 0;
            for (MemorySegment p : parts()) n += p.byteSize();
            return n;
        }

        MemorySegment[] parts() {
            return q4 != null ? new MemorySegment[] {q4.data(), q4.scales()} : new MemorySegment[] {i8.data(), i8.scales()};
        }

        long crc() {
            CRC32C crc = new CRC32C();
            for (MemorySegment p : parts()) crc.update(p.asByteBuffer());
            return crc.getValue();
        }

        /** Rows [first, first + n) as a matrix of their own (views of the same memory). */
        Target rows(int first, int n) {
            if (q4 != null) {
                long rowBytes = q4.cols() / 2;
                return new Target(null, new Q4Matrix(q4.data().asSlice(first * rowBytes, n * rowBytes), q4.scales().asSlice(4L * first, 4L * n), n, q4.cols()));
            }
            long rowBytes = i8.cols();
            return new Target(new I8Matrix(i8.data().asSlice(first * rowBytes, n * rowBytes), i8.scales().asSlice(4L * first, 4L * n), n, i8.cols()), null);
        }

        void quantize(F16Matrix src, int b, int e, boolean nativePacker) {
            if (q4 != null) {
                if (nativePacker) NativeBackend.quantizeQ4Rows(src, q4, b, e);
                else Q4Matrix.quantizeRows(src, q4, b, e);
            } else if (nativePacker) NativeBackend.quantizeI8Rows(src, i8, b, e);
            else I8Matrix.quantizeRows(src, i8, b, e);
        }

        Made made(String source) {
            return new Made(i8, q4, source);
        }
    }
}
