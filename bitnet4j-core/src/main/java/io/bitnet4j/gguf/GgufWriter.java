package io.bitnet4j.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file. Collect metadata (in the order it should appear) and tensor declarations, then
 * {@link #write(Path)} streams the header and then each tensor's bytes through the file channel: tensor
 * data is produced by a {@link TensorData} callback at write time and never held in the heap as a whole.
 * Tensor data is padded to the alignment (32 unless {@link #alignment(long)} is called, which also
 * writes the {@code general.alignment} key).
 */
public final class GgufWriter {
    /** Produces a tensor's bytes; it must write exactly the declared byte size to the sink. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(TensorSink sink) throws IOException;

        static TensorData of(byte[] bytes) {
            return sink -> sink.write(ByteBuffer.wrap(bytes));
        }

        static TensorData of(MemorySegment segment) {
            return sink -> sink.write(segment.asByteBuffer());
        }
    }

    /** Where a {@link TensorData} writes; counts the bytes and refuses more than the declared size. */
    public static final class TensorSink {
        private final FileChannel channel;
        private final String name;
        private final long limit;
        private long written;

        private TensorSink(FileChannel channel, String name, long limit) {
            this.channel = channel;
            this.name = name;
            this.limit = limit;
        }

        /** Writes all remaining bytes of {@code src}. */
        public void write(ByteBuffer src) throws IOException {
            if (src.remaining() > limit - written)
                throw new IOException("tensor '" + name + "' data exceeds its declared " + limit + " bytes");
            while (src.hasRemaining()) written += channel.write(src);
        }

        public long written() {
            return written;
        }

        public long remaining() {
            return limit - written;
        }
    }

    private record Value(GgufValueType type, Object value) {}

    private record Tensor(String name, GgufType type, long[] shape, long byteSize, TensorData data) {}

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private long alignment = GgufFile.DEFAULT_ALIGNMENT;

    private GgufWriter put(String key, GgufValueType type, Object value) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("metadata key must be non-empty");
        if (metadata.containsKey(key)) throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        metadata.put(key, new Value(type, value));
        return this;
    }

    public GgufWriter putUInt8(String key, int v) { checkRange(key, v, 0, 0xFF); return put(key, GgufValueType.UINT8, (long) v); }
    public GgufWriter putInt8(String key, int v) { checkRange(key, v, Byte.MIN_VALUE, Byte.MAX_VALUE); return put(key, GgufValueType.INT8, (long) v); }
    public GgufWriter putUInt16(String key, int v) { checkRange(key, v, 0, 0xFFFF); return put(key, GgufValueType.UINT16, (long) v); }
    public GgufWriter putInt16(String key, int v) { checkRange(key, v, Short.MIN_VALUE, Short.MAX_VALUE); return put(key, GgufValueType.INT16, (long) v); }
    public GgufWriter putUInt32(String key, long v) { checkRange(key, v, 0, 0xFFFF_FFFFL); return put(key, GgufValueType.UINT32, v); }
    public GgufWriter putInt32(String key, int v) { return put(key, GgufValueType.INT32, (long) v); }
    /** A u64; the value's bits are written as is (so a negative long stands for a value above Long.MAX_VALUE). */
    public GgufWriter putUInt64(String key, long v) { return put(key, GgufValueType.UINT64, v); }
    public GgufWriter putInt64(String key, long v) { return put(key, GgufValueType.INT64, v); }
    public GgufWriter putFloat32(String key, float v) { return put(key, GgufValueType.FLOAT32, v); }
    public GgufWriter putFloat64(String key, double v) { return put(key, GgufValueType.FLOAT64, v); }
    public GgufWriter putBool(String key, boolean v) { return put(key, GgufValueType.BOOL, v); }
    public GgufWriter putString(String key, String v) { return put(key, GgufValueType.STRING, v); }
    public GgufWriter putStringArray(String key, List<String> v) { return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, List.copyOf(v))); }
    public GgufWriter putFloat32Array(String key, float[] v) { return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, v.clone())); }
    public GgufWriter putInt32Array(String key, int[] v) { return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.INT32, v.clone())); }
    /** Unsigned 32-bit elements given as int bit patterns. */
    public GgufWriter putUInt32Array(String key, int[] v) { return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.UINT32, v.clone())); }

    /**
     * Any array: {@code values} must be the Java array matching {@code elementType} (byte[] for u8/i8,
     * short[] for u16/i16, int[] for u32/i32, long[] for u64/i64, float[], double[], boolean[], or a
     * List&lt;String&gt; for STRING). Arrays of arrays are not supported.
     */
    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        Class<?> expected = switch (elementType) {
            case UINT8, INT8 -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> List.class;
            case ARRAY -> throw new IllegalArgumentException("arrays of arrays are not supported (key '" + key + "')");
        };
        if (!expected.isInstance(values))
            throw new IllegalArgumentException("key '" + key + "': " + elementType + " array needs a " + expected.getSimpleName());
        return put(key, GgufValueType.ARRAY, new GgufArray(elementType, values));
    }

    private static void checkRange(String key, long v, long min, long max) {
        if (v < min || v > max) throw new IllegalArgumentException("key '" + key + "' value " + v + " is outside " + min + ".." + max);
    }

    /** Sets a non-default alignment (a power of two) and records it as the u32 {@code general.alignment} key. */
    public GgufWriter alignment(long alignment) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > 0xFFFF_FFFFL)
            throw new IllegalArgumentException("alignment must be a power of two that fits a u32, got " + alignment);
        this.alignment = alignment;
        if (!metadata.containsKey(GgufFile.ALIGNMENT_KEY)) putUInt32(GgufFile.ALIGNMENT_KEY, alignment);
        else metadata.put(GgufFile.ALIGNMENT_KEY, new Value(GgufValueType.UINT32, alignment));
        return this;
    }

    /** Declares a tensor; {@code shape} is ne0 first. Its byte size follows from the type ({@link GgufType#byteSize}). */
    public GgufWriter addTensor(String name, GgufType type, long[] shape, TensorData data) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must be non-empty");
        if (!tensorNames.add(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        if (shape.length < 1 || shape.length > 4) throw new IllegalArgumentException("tensor '" + name + "' needs 1..4 dims");
        long n = 1;
        for (long d : shape) {
            if (d < 1) throw new IllegalArgumentException("tensor '" + name + "' has dimension " + d);
            n = Math.multiplyExact(n, d);
        }
        tensors.add(new Tensor(name, type, shape.clone(), type.byteSize(n), data));
        return this;
    }

    /** Total size the file will have. */
    public long fileSize() {
        long size = GgufFile.alignUp(headerSize(), alignment);
        for (Tensor t : tensors) size = GgufFile.alignUp(size + t.byteSize, alignment);
        return size;
    }

    /** Writes the file, replacing any existing one; a failed write deletes the partial file. */
    public void write(Path out) throws IOException {
        try {
            writeTo(out);
        } catch (IOException | RuntimeException e) {
            try {
                java.nio.file.Files.deleteIfExists(out);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void writeTo(Path out) throws IOException {
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            HeaderOut h = new HeaderOut(ch);
            writeHeader(h);
            h.flush();
            long pos = ch.position();
            for (Tensor t : tensors) {
                pos = pad(ch, pos);
                TensorSink sink = new TensorSink(ch, t.name, t.byteSize);
                t.data.writeTo(sink);
                if (sink.written != t.byteSize)
                    throw new IOException("tensor '" + t.name + "' wrote " + sink.written + " bytes, declared " + t.byteSize);
                pos += t.byteSize;
            }
            pad(ch, pos);
        }
    }

    private long pad(FileChannel ch, long pos) throws IOException {
        long aligned = GgufFile.alignUp(pos, alignment);
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(aligned - pos, 1 << 16));
        for (long left = aligned - pos; left > 0; left -= zeros.limit()) {
            zeros.clear().limit((int) Math.min(left, zeros.capacity()));
            while (zeros.hasRemaining()) ch.write(zeros);
        }
        return aligned;
    }

    private long headerSize() {
        CountingOut c = new CountingOut();
        try {
            writeHeader(c);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return c.count;
    }

    private void writeHeader(Out out) throws IOException {
        out.u32(0x46554747);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, Value> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type.id());
            writeValue(out, e.getValue().type, e.getValue().value);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.u32(t.shape.length);
            for (long d : t.shape) out.u64(d);
            out.u32(t.type.id());
            out.u64(offset);
            offset = GgufFile.alignUp(offset + t.byteSize, alignment);
        }
        out.pad(alignment);
    }

    private static void writeValue(Out out, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8, BOOL -> out.u8(v instanceof Boolean b ? (b ? 1 : 0) : ((Long) v).intValue());
            case UINT16, INT16 -> out.u16(((Long) v).intValue());
            case UINT32, INT32 -> out.u32(((Long) v).intValue());
            case UINT64, INT64 -> out.u64((Long) v);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) v));
            case STRING -> out.string((String) v);
            case ARRAY -> writeArray(out, (GgufArray) v);
        }
    }

    private static void writeArray(Out out, GgufArray a) throws IOException {
        out.u32(a.elementType().id());
        out.u64(a.size());
        switch (a.raw()) {
            case byte[] x -> { for (byte b : x) out.u8(b); }
            case short[] x -> { for (short s : x) out.u16(s); }
            case int[] x -> { for (int i : x) out.u32(i); }
            case long[] x -> { for (long l : x) out.u64(l); }
            case float[] x -> { for (float f : x) out.u32(Float.floatToRawIntBits(f)); }
            case double[] x -> { for (double d : x) out.u64(Double.doubleToRawLongBits(d)); }
            case boolean[] x -> { for (boolean b : x) out.u8(b ? 1 : 0); }
            case List<?> x -> { for (Object s : x) out.string((String) s); }
            default -> throw new AssertionError(a.raw().getClass());
        }
    }

    /** Little-endian primitive output; one implementation counts (to size the header), one buffers to the channel. */
    private abstract static class Out {
        long count;

        abstract void bytes(byte[] b) throws IOException;

        abstract void u8(int v) throws IOException;

        abstract void u16(int v) throws IOException;

        abstract void u32(int v) throws IOException;

        abstract void u64(long v) throws IOException;

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void pad(long alignment) throws IOException {
            while (count % alignment != 0) u8(0);
        }
    }

    private static final class CountingOut extends Out {
        void bytes(byte[] b) { count += b.length; }
        void u8(int v) { count += 1; }
        void u16(int v) { count += 2; }
        void u32(int v) { count += 4; }
        void u64(long v) { count += 8; }

        @Override
        void string(String s) {
            // UTF-8 length without allocating the bytes.
            long n = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x80) n += 1;
                else if (c < 0x800) n += 2;
                else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) { n += 4; i++; }
                else n += 3;
            }
            count += 8 + n;
        }
    }

    /** Buffers the header in 1 MiB pieces so a large vocabulary never needs one big array. */
    private static final class HeaderOut extends Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);

        HeaderOut(FileChannel ch) {
            this.ch = ch;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        void bytes(byte[] b) throws IOException {
            for (int off = 0; off < b.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
            count += b.length;
        }
        void u8(int v) throws IOException { room(1); buf.put((byte) v); count += 1; }
        void u16(int v) throws IOException { room(2); buf.putShort((short) v); count += 2; }
        void u32(int v) throws IOException { room(4); buf.putInt(v); count += 4; }
        void u64(long v) throws IOException { room(8); buf.putLong(v); count += 8; }
    }
}
