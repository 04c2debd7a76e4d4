package io.bitnet4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A bounds-checked little-endian cursor over the mapped file. Every read checks the remaining bytes first,
 * and every length or count read from the file is checked against what is left before anything is
 * allocated, so a hostile file fails with a {@link GgufException} instead of an OOM or a crash.
 */
final class GgufReader {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Java strings and arrays cannot be longer than this. */
    private static final long MAX_JAVA_LENGTH = Integer.MAX_VALUE - 16;
    /*
     * Sanity limits far above anything a real model file holds (LLaMA-3: 128 K tokens, 280 K merges, a chat
     * template of a few KB), so that a file that is merely large, not hostile-by-overflow, still cannot make
     * the header parser allocate gigabytes of heap.
     */
    static final long MAX_STRING_BYTES = 1 << 24;
    static final long MAX_STRING_ARRAY = 1 << 24;
    static final long MAX_ARRAY_BYTES = 1 << 28;

    private final MemorySegment file;
    private final long size;
    private long pos;

    GgufReader(MemorySegment file) {
        this.file = file;
        this.size = file.byteSize();
    }

    long position() {
        return pos;
    }

    void seek(long p) {
        pos = p;
    }

    long remaining() {
        return size - pos;
    }

    /** Names the field being read; built only when an error is reported (vocabularies have 100 K+ strings). */
    @FunctionalInterface
    interface Label {
        String text();
    }

    /** Fails unless {@code n} more bytes are available; {@code what} names the field being read. */
    void need(long n, String what) throws GgufException {
        need(n, () -> what);
    }

    void need(long n, Label what) throws GgufException {
        if (n < 0 || n > size - pos)
            throw GgufException.at(pos, "truncated file: " + what.text() + " needs " + (n < 0 ? "an impossible number of" : n)
                    + " bytes but only " + (size - pos) + " remain");
    }

    byte u8(String what) throws GgufException {
        need(1, what);
        return file.get(ValueLayout.JAVA_BYTE, pos++);
    }

    short u16(String what) throws GgufException {
        need(2, what);
        short v = file.get(U16, pos);
        pos += 2;
        return v;
    }

    int u32(String what) throws GgufException {
        need(4, what);
        int v = file.get(U32, pos);
        pos += 4;
        return v;
    }

    long u64(String what) throws GgufException {
        need(8, what);
        long v = file.get(U64, pos);
        pos += 8;
        return v;
    }

    float f32(String what) throws GgufException {
        need(4, what);
        float v = file.get(F32, pos);
        pos += 4;
        return v;
    }

    double f64(String what) throws GgufException {
        need(8, what);
        double v = file.get(F64, pos);
        pos += 8;
        return v;
    }

    /** A gguf_string: u64 length then UTF-8 bytes (malformed sequences become U+FFFD). */
    String string(String what) throws GgufException {
        return string(() -> what);
    }

    String string(Label label) throws GgufException {
        long start = pos;
        need(8, () -> label.text() + " length");
        long len = file.get(U64, pos);
        pos += 8;
        String what = len >= 0 && len <= remaining() && len <= MAX_STRING_BYTES ? null : label.text();
        if (len < 0 || len > remaining() || len > MAX_JAVA_LENGTH)
            throw GgufException.at(start, what + " has length " + Long.toUnsignedString(len) + " but only " + remaining() + " bytes remain");
        if (len > MAX_STRING_BYTES)
            throw GgufException.at(start, what + " has length " + len + ", above the limit of " + MAX_STRING_BYTES + " bytes");
        if (len == 0) return "";
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, bytes, 0, bytes.length);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** One metadata value of a known type; arrays hold scalars or strings only (nested arrays are rejected). */
    Object value(GgufValueType type, String key) throws GgufException {
        return switch (type) {
            case UINT8 -> (long) (u8(key) & 0xFF);
            case INT8 -> (long) u8(key);
            case UINT16 -> (long) (u16(key) & 0xFFFF);
            case INT16 -> (long) u16(key);
            case UINT32 -> Integer.toUnsignedLong(u32(key));
            case INT32 -> (long) u32(key);
            case UINT64 -> {
                long v = u64(key);
                yield v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case INT64 -> u64(key);
            case FLOAT32 -> (double) f32(key);
            case FLOAT64 -> f64(key);
            case BOOL -> bool(key);
            case STRING -> string("value of key '" + key + "'");
            case ARRAY -> array(key);
        };
    }

    private boolean bool(String key) throws GgufException {
        long at = pos;
        byte b = u8(key);
        if (b != 0 && b != 1) throw GgufException.at(at, "key '" + key + "' has bool byte " + (b & 0xFF) + ", expected 0 or 1");
        return b == 1;
    }

    private GgufArray array(String key) throws GgufException {
        long start = pos;
        int typeId = u32("array element type of key '" + key + "'");
        GgufValueType elem = GgufValueType.byId(typeId);
        if (elem == null)
            throw GgufException.at(start, "key '" + key + "' is an array of unknown value type id " + Integer.toUnsignedString(typeId));
        if (elem == GgufValueType.ARRAY)
            throw GgufException.at(start, "key '" + key + "' is an array of arrays, which is not supported");
        long countAt = pos;
        long count = u64("array count of key '" + key + "'");
        // Check count * (smallest element) against the bytes left, without overflowing, before allocating.
        if (count < 0 || count > remaining() / elem.minBytes() || count > MAX_JAVA_LENGTH)
            throw GgufException.at(countAt, "key '" + key + "' has array count " + Long.toUnsignedString(count) + " of " + elem
                    + " but only " + remaining() + " bytes remain");
        if (elem == GgufValueType.STRING ? count > MAX_STRING_ARRAY : count * elem.width() > MAX_ARRAY_BYTES)
            throw GgufException.at(countAt, "key '" + key + "' has array count " + count + " of " + elem + ", above the reader's limit");
        int n = (int) count;
        Object values = switch (elem) {
            case UINT8, INT8 -> bytes(n);
            case BOOL -> bools(n, key);
            case UINT16, INT16 -> {
                short[] a = new short[n];
                MemorySegment.copy(file, U16, pos, a, 0, n);
                yield a;
            }
            case UINT32, INT32 -> {
                int[] a = new int[n];
                MemorySegment.copy(file, U32, pos, a, 0, n);
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                MemorySegment.copy(file, U64, pos, a, 0, n);
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                MemorySegment.copy(file, F32, pos, a, 0, n);
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                MemorySegment.copy(file, F64, pos, a, 0, n);
                yield a;
            }
            case STRING -> strings(n, key);
            case ARRAY -> throw new AssertionError();
        };
        if (elem.width() > 0 && elem != GgufValueType.BOOL) pos += (long) n * elem.width();
        return new GgufArray(elem, values);
    }

    private byte[] bytes(int n) {
        byte[] a = new byte[n];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, a, 0, n);
        return a;
    }

    private boolean[] bools(int n, String key) throws GgufException {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
            byte b = file.get(ValueLayout.JAVA_BYTE, pos);
            if (b != 0 && b != 1) throw GgufException.at(pos, "key '" + key + "' element " + i + " has bool byte " + (b & 0xFF) + ", expected 0 or 1");
            a[i] = b == 1;
            pos++;
        }
        return a;
    }

    private List<String> strings(int n, String key) throws GgufException {
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            list.add(string(() -> "element " + index + " of key '" + key + "'"));
        }
        return Collections.unmodifiableList(list);
    }
}
