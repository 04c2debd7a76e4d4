package io.bitnet4j.gguf;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.util.AnonymousMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A GGUF v2/v3 file mapped read-only into memory. The header (metadata and tensor infos) is parsed and
 * validated once at {@link #open}; tensor data stays in the mapping and is handed out as read-only slices.
 *
 * <p>Metadata values are kept as: String, Long (all integer types except u64 values above Long.MAX_VALUE,
 * which are BigInteger), Double (f32 and f64), Boolean, and {@link GgufArray} for arrays.
 */
public final class GgufFile implements AutoCloseable {
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    private static final int HEADER_BYTES = 24;
    /** Smallest possible key/value record: u64 key length, 1 key byte, u32 type, 1 value byte. */
    private static final long MIN_KV_BYTES = 14;
    /** Smallest possible tensor info: u64 name length, 1 name byte, u32 n_dims, one u64 dim, u32 type, u64 offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 33;
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final long alignment;
    private final long dataStart;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final java.util.Set<String> notLoaded; // tensors whose bytes were left in the file (read on demand)
    private volatile boolean closed;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, int version, long alignment, long dataStart,
                     Map<String, Object> metadata, Map<String, GgufValueType> types, List<GgufTensorInfo> tensors,
                     java.util.Set<String> notLoaded) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.types = types;
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new HashMap<>();
        for (GgufTensorInfo t : tensors) byName.put(t.name(), t);
        this.tensorsByName = byName;
        this.notLoaded = java.util.Set.copyOf(notLoaded);
    }

    /** Maps and parses the file. The mapping lives until {@link #close()}. */
    public static GgufFile open(Path path) throws GgufException, IOException {
        return open(path, java.util.Set.of());
    }

    /**
     * Maps and parses the file; the tensors named in {@code notLoaded} (those present) are refused by {@link #data}:
     * their rows are to be read from the file on demand ({@link TensorRows}), never through the mapping.
     */
    public static GgufFile open(Path path, java.util.Set<String> notLoaded) throws GgufException, IOException {
        return load(path, (ch, size, arena) -> ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), notLoaded);
    }

    /**
     * Reads the whole file into anonymous memory (huge pages where the OS offers them) instead of mapping it:
     * faster to stream through than the page cache's 4 KiB pages, at the cost of reading the file at load.
     * {@code progress} receives the bytes read (stage "reading").
     */
    public static GgufFile read(Path path, ProgressListener progress) throws GgufException, IOException {
        return read(path, progress, java.util.Set.of());
    }

    /**
     * Reads the file into anonymous memory except the data of the tensors named in {@code notLoaded}: their pages
     * are never touched, so they take no memory, and {@link #data} refuses them (their rows are read on demand with
     * {@link TensorRows}). The header is parsed once, from a mapping of the file (only its pages are touched), then
     * the data is read; a file that changed meanwhile (size or header bytes) is refused.
     */
    public static GgufFile read(Path path, ProgressListener progress, java.util.Set<String> notLoaded) throws GgufException, IOException {
        try (GgufFile mapped = open(path, notLoaded)) {
            List<long[]> skipped = new ArrayList<>();
            // the header is parsed already: only tensor data is read (the tokenizer's strings alone are ~7 MB in 2B4T)
            long header = Math.min(mapped.dataStart, mapped.mapping.byteSize());
            skipped.add(new long[] {0, header});
            for (GgufTensorInfo t : mapped.tensors)
                if (notLoaded.contains(t.name())) skipped.add(new long[] {t.dataOffset(), t.byteSize()});
            long size = mapped.mapping.byteSize();
            Arena arena = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                MemorySegment memory = AnonymousMemory.allocate(size, arena);
                readChunks(ch, path, memory, progress, skipped);
                if (ch.size() != size || !sameBytes(ch, mapped.mapping, header))
                    throw new GgufException(path + ": the file changed while it was being loaded");
                return new GgufFile(path, arena, memory.asReadOnly(), mapped.version, mapped.alignment, mapped.dataStart,
                        mapped.metadata, mapped.types, mapped.tensors, notLoaded);
            } catch (IOException | RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        }
    }

    /** Whether the file's first n bytes (read again, 1 MiB at a time) still equal the parsed header's. */
    private static boolean sameBytes(FileChannel ch, MemorySegment parsed, long n) throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment buf = scratch.allocate(Math.min(n, 1L << 20));
            for (long at = 0; at < n; at += buf.byteSize()) {
                long len = Math.min(buf.byteSize(), n - at);
                ByteBuffer b = buf.asSlice(0, len).asByteBuffer();
                while (b.hasRemaining()) if (ch.read(b, at + b.position()) < 0) return false;
                if (MemorySegment.mismatch(buf, 0, len, parsed, at, at + len) != -1) return false;
            }
        }
        return true;
    }

    /** The bytes of an open file of {@code size} bytes, living as long as {@code arena}. */
    private interface Contents {
        MemorySegment of(FileChannel ch, long size, Arena arena) throws IOException;
    }

    /** Opens the file, checks it can hold a header, gets its bytes (read-only from here on) and parses them. */
    private static GgufFile load(Path path, Contents contents, java.util.Set<String> notLoaded) throws GgufException, IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES)
                throw new GgufException(path + ": file is " + size + " bytes, too small for a GGUF header (" + HEADER_BYTES + ")");
            return parse(path, arena, contents.of(ch, size, arena).asReadOnly(), notLoaded);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads 64 MiB chunks on all processors (faulting in and filling fresh pages is CPU work, not only I/O), leaving
     * out the skipped [offset, length] ranges.
     */
    private static void readChunks(FileChannel ch, Path path, MemorySegment memory, ProgressListener progress,
            List<long[]> skipped) throws IOException {
        final long size = memory.byteSize(), chunk = 64L << 20;
        List<long[]> pieces = new ArrayList<>(); // [at, length] of the bytes to read
        List<long[]> gaps = new ArrayList<>(skipped);
        gaps.sort(Comparator.comparingLong(r -> r[0]));
        long from = 0;
        for (long[] gap : gaps) {
            for (long at = from; at < gap[0]; at += chunk) pieces.add(new long[] {at, Math.min(chunk, gap[0] - at)});
            from = Math.max(from, gap[0] + gap[1]);
        }
        for (long at = from; at < size; at += chunk) pieces.add(new long[] {at, Math.min(chunk, size - at)});
        long total = pieces.stream().mapToLong(p -> p[1]).sum();
        AtomicLong done = new AtomicLong();
        try {
            pieces.parallelStream().forEach(piece -> {
                long at = piece[0];
                ByteBuffer buf = memory.asSlice(at, piece[1]).asByteBuffer();
                try {
                    while (buf.hasRemaining())
                        if (ch.read(buf, at + buf.position()) < 0)
                            throw new UncheckedIOException(new GgufException(path + ": file shrank to "
                                    + (at + buf.position()) + " bytes while being read"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                long read = done.addAndGet(buf.capacity());
                synchronized (progress) { progress.progress("reading", read, total); }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment mapping, java.util.Set<String> notLoaded) throws GgufException {
        GgufReader in = new GgufReader(mapping);
        int magic = in.u32("magic");
        if (magic != MAGIC) throw GgufException.at(0, "bad magic 0x" + Integer.toHexString(magic) + ", not a GGUF file");
        int version = in.u32("version");
        if (version == 1) throw GgufException.at(4, "GGUF version 1 is not supported (only 2 and 3)");
        if (version != 2 && version != 3) throw GgufException.at(4, "unsupported GGUF version " + Integer.toUnsignedString(version));
        long nTensors = in.u64("n_tensors");
        long nKv = in.u64("n_kv");
        checkCounts(in, nTensors, nKv);

        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new HashMap<>();
        for (long i = 0; i < nKv; i++) readKeyValue(in, i, metadata, types);
        long alignment = alignment(metadata, types);

        long infosStart = in.position();
        List<RawInfo> raw = new ArrayList<>((int) nTensors);
        java.util.Set<String> names = new java.util.HashSet<>();
        for (long i = 0; i < nTensors; i++) {
            RawInfo r = readTensorInfo(in, i, alignment);
            if (!names.add(r.name)) throw GgufException.at(r.at, "duplicate tensor name '" + r.name + "'");
            raw.add(r);
        }
        long dataStart = alignUp(in.position(), alignment);
        if (nTensors > 0 && dataStart > mapping.byteSize())
            throw GgufException.at(in.position(), "data section would start at " + dataStart + ", past the end of the file");
        List<GgufTensorInfo> tensors = placeTensors(raw, dataStart, mapping.byteSize());
        assert infosStart <= dataStart;
        return new GgufFile(path, arena, mapping, version, alignment, dataStart, metadata, types, tensors, notLoaded);
    }

    /** Rejects counts that cannot fit in the file, before anything is allocated for them. */
    private static void checkCounts(GgufReader in, long nTensors, long nKv) throws GgufException {
        long left = in.remaining();
        if (nKv < 0 || nKv > left / MIN_KV_BYTES)
            throw GgufException.at(16, "n_kv " + Long.toUnsignedString(nKv) + " cannot fit in the " + left + " bytes after the header");
        if (nTensors < 0 || nTensors > (left - nKv * MIN_KV_BYTES) / MIN_TENSOR_INFO_BYTES)
            throw GgufException.at(8, "n_tensors " + Long.toUnsignedString(nTensors) + " cannot fit in the " + left + " bytes after the header");
    }

    private static void readKeyValue(GgufReader in, long index, Map<String, Object> metadata,
                                     Map<String, GgufValueType> types) throws GgufException {
        long at = in.position();
        String key = in.string("key of metadata entry " + index);
        if (key.isEmpty()) throw GgufException.at(at, "metadata entry " + index + " has an empty key");
        if (metadata.containsKey(key)) throw GgufException.at(at, "duplicate metadata key '" + key + "'");
        long typeAt = in.position();
        int typeId = in.u32("value type of key '" + key + "'");
        GgufValueType type = GgufValueType.byId(typeId);
        if (type == null) throw GgufException.at(typeAt, "key '" + key + "' has unknown value type id " + Integer.toUnsignedString(typeId));
        metadata.put(key, in.value(type, key));
        types.put(key, type);
    }

    private static long alignment(Map<String, Object> metadata, Map<String, GgufValueType> types) throws GgufException {
        if (!metadata.containsKey(ALIGNMENT_KEY)) return DEFAULT_ALIGNMENT;
        if (types.get(ALIGNMENT_KEY) != GgufValueType.UINT32)
            throw new GgufException("key '" + ALIGNMENT_KEY + "' must be UINT32 but is " + types.get(ALIGNMENT_KEY));
        long a = (Long) metadata.get(ALIGNMENT_KEY);
        if (a == 0 || Long.bitCount(a) != 1)
            throw new GgufException("key '" + ALIGNMENT_KEY + "' is " + a + ", which is not a power of two");
        return a;
    }

    /** A tensor info as read, offset still relative to the data section. */
    private record RawInfo(String name, long[] shape, GgufType type, long relOffset, long byteSize, long at) {}

    private static RawInfo readTensorInfo(GgufReader in, long index, long alignment) throws GgufException {
        long at = in.position();
        String name = in.string("name of tensor " + index);
        if (name.isEmpty()) throw GgufException.at(at, "tensor " + index + " has an empty name");
        long dimsAt = in.position();
        int nDims = in.u32("n_dims of tensor '" + name + "'");
        if (nDims < 1 || nDims > MAX_DIMS)
            throw GgufException.at(dimsAt, "tensor '" + name + "' has n_dims " + Integer.toUnsignedString(nDims) + ", expected 1.." + MAX_DIMS);
        long[] shape = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = in.position();
            shape[d] = in.u64("ne[" + d + "] of tensor '" + name + "'");
            if (shape[d] < 1)
                throw GgufException.at(dimAt, "tensor '" + name + "' has dimension ne[" + d + "] = " + Long.toUnsignedString(shape[d]) + ", expected >= 1");
            try {
                elements = Math.multiplyExact(elements, shape[d]);
            } catch (ArithmeticException e) {
                throw GgufException.at(dimAt, "tensor '" + name + "' element count overflows a long");
            }
        }
        long typeAt = in.position();
        GgufType type;
        try {
            type = GgufType.of(in.u32("type of tensor '" + name + "'"), "'" + name + "'");
        } catch (GgufException e) {
            throw GgufException.at(typeAt, e.getMessage());
        }
        long byteSize;
        try {
            byteSize = type.byteSize(elements);
        } catch (IllegalArgumentException e) {
            throw GgufException.at(typeAt, "tensor '" + name + "': " + e.getMessage());
        }
        long offAt = in.position();
        long rel = in.u64("offset of tensor '" + name + "'");
        if (rel < 0 || rel % alignment != 0)
            throw GgufException.at(offAt, "tensor '" + name + "' has offset " + Long.toUnsignedString(rel) + ", not a multiple of the alignment " + alignment);
        return new RawInfo(name, shape, type, rel, byteSize, at);
    }

    /** Turns relative offsets into absolute ones and checks every tensor lies inside the file, without overlaps. */
    private static List<GgufTensorInfo> placeTensors(List<RawInfo> raw, long dataStart, long fileSize) throws GgufException {
        List<GgufTensorInfo> out = new ArrayList<>(raw.size());
        long room = fileSize - dataStart;
        for (RawInfo r : raw) {
            if (r.relOffset > room || r.byteSize > room - r.relOffset)
                throw GgufException.at(r.at, "tensor '" + r.name + "' data [" + r.relOffset + ", +" + r.byteSize
                        + ") runs past the end of the file (data section holds " + room + " bytes)");
            out.add(new GgufTensorInfo(r.name, r.shape, r.type, dataStart + r.relOffset, r.byteSize));
        }
        List<GgufTensorInfo> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::dataOffset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (a.dataOffset() + a.byteSize() > b.dataOffset())
                throw new GgufException("tensor '" + a.name() + "' data overlaps tensor '" + b.name() + "' at byte offset " + b.dataOffset());
        }
        return out;
    }

    static long alignUp(long x, long alignment) {
        long r = x % alignment;
        return r == 0 ? x : x + (alignment - r);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("GGUF file closed");
    }

    /** The file's path (still available after close, for messages). */
    public Path path() {
        return path;
    }

    public long fileSize() {
        checkOpen();
        return mapping.byteSize();
    }

    public int version() {
        checkOpen();
        return version;
    }

    public long alignment() {
        checkOpen();
        return alignment;
    }

    /** Absolute offset of the data section. */
    public long dataStart() {
        checkOpen();
        return dataStart;
    }

    public boolean has(String key) {
        checkOpen();
        return metadata.containsKey(key);
    }

    /** The declared value type of a key, if present. */
    public Optional<GgufValueType> typeOf(String key) {
        checkOpen();
        return Optional.ofNullable(types.get(key));
    }

    private Object require(String key) throws GgufException {
        checkOpen();
        Object v = metadata.get(key);
        if (v == null) throw new GgufException("missing metadata key '" + key + "'");
        return v;
    }

    private GgufException wrongType(String key, String expected) {
        return new GgufException("metadata key '" + key + "' has type " + describe(key) + ", expected " + expected);
    }

    private String describe(String key) {
        Object v = metadata.get(key);
        return v instanceof GgufArray a ? "ARRAY of " + a.elementType() : String.valueOf(types.get(key));
    }

    public String getString(String key) throws GgufException {
        if (require(key) instanceof String s) return s;
        throw wrongType(key, "STRING");
    }

    /** Any integer type, coerced to long (u64 values above Long.MAX_VALUE are an error). */
    public long getLong(String key) throws GgufException {
        Object v = require(key);
        if (v instanceof Long l) return l;
        if (v instanceof BigInteger b) throw new GgufException("metadata key '" + key + "' value " + b + " does not fit in a long");
        throw wrongType(key, "an integer type");
    }

    public int getInt(String key) throws GgufException {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)
            throw new GgufException("metadata key '" + key + "' value " + v + " does not fit in an int");
        return (int) v;
    }

    /** f32 or f64, or an integer, as float. */
    public float getFloat(String key) throws GgufException {
        Object v = require(key);
        if (v instanceof Double d) return d.floatValue();
        if (v instanceof Long l) return l.floatValue();
        if (v instanceof BigInteger b) return b.floatValue();
        throw wrongType(key, "FLOAT32, FLOAT64 or an integer type");
    }

    public boolean getBoolean(String key) throws GgufException {
        if (require(key) instanceof Boolean b) return b;
        throw wrongType(key, "BOOL");
    }

    private GgufArray array(String key, String expected) throws GgufException {
        if (require(key) instanceof GgufArray a) return a;
        throw wrongType(key, expected);
    }

    /** An array of strings (unmodifiable; the same list on every call, so repeated calls are cheap). */
    @SuppressWarnings("unchecked")
    public List<String> getStringArray(String key) throws GgufException {
        GgufArray a = array(key, "ARRAY of STRING");
        if (a.elementType() != GgufValueType.STRING) throw wrongType(key, "ARRAY of STRING");
        return (List<String>) a.raw();
    }

    /** An array of f32 (copied), f64 (narrowed) or integers (converted). */
    public float[] getFloatArray(String key) throws GgufException {
        GgufArray a = array(key, "ARRAY of FLOAT32");
        if (a.raw() instanceof float[] f) return f.clone();
        if (a.raw() instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        if (a.elementType().isInteger()) {
            long[] l = longs(key, a);
            float[] f = new float[l.length];
            for (int i = 0; i < l.length; i++) f[i] = l[i];
            return f;
        }
        throw wrongType(key, "ARRAY of FLOAT32");
    }

    /** An array of any integer type, range-checked into int. */
    public int[] getIntArray(String key) throws GgufException {
        GgufArray a = array(key, "ARRAY of INT32");
        if (!a.elementType().isInteger()) throw wrongType(key, "ARRAY of an integer type");
        if (a.elementType() == GgufValueType.INT32) return ((int[]) a.raw()).clone();
        long[] l = longs(key, a);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] < Integer.MIN_VALUE || l[i] > Integer.MAX_VALUE)
                throw new GgufException("metadata key '" + key + "' element " + i + " = " + l[i] + " does not fit in an int");
            out[i] = (int) l[i];
        }
        return out;
    }

    /** Integer array elements widened to long, honouring signedness (u64 above Long.MAX_VALUE is an error). */
    private static long[] longs(String key, GgufArray a) throws GgufException {
        Object v = a.raw();
        int n = a.size();
        long[] out = new long[n];
        switch (a.elementType()) {
            case UINT8 -> { byte[] b = (byte[]) v; for (int i = 0; i < n; i++) out[i] = b[i] & 0xFF; }
            case INT8 -> { byte[] b = (byte[]) v; for (int i = 0; i < n; i++) out[i] = b[i]; }
            case UINT16 -> { short[] s = (short[]) v; for (int i = 0; i < n; i++) out[i] = s[i] & 0xFFFF; }
            case INT16 -> { short[] s = (short[]) v; for (int i = 0; i < n; i++) out[i] = s[i]; }
            case UINT32 -> { int[] s = (int[]) v; for (int i = 0; i < n; i++) out[i] = Integer.toUnsignedLong(s[i]); }
            case INT32 -> { int[] s = (int[]) v; for (int i = 0; i < n; i++) out[i] = s[i]; }
            case INT64 -> System.arraycopy((long[]) v, 0, out, 0, n);
            case UINT64 -> {
                long[] s = (long[]) v;
                for (int i = 0; i < n; i++) {
                    if (s[i] < 0) throw new GgufException("metadata key '" + key + "' element " + i + " = "
                            + Long.toUnsignedString(s[i]) + " does not fit in a long");
                    out[i] = s[i];
                }
            }
            default -> throw new AssertionError(a.elementType());
        }
        return out;
    }

    /**
     * The raw value of a key: String, Long, BigInteger, Double, Boolean, or for arrays a List&lt;String&gt; or a
     * copy of the primitive array (see {@link GgufArray} for the element widths).
     */
    public Optional<Object> find(String key) {
        checkOpen();
        Object v = metadata.get(key);
        if (v instanceof GgufArray a) return Optional.of(a.values()); // values() copies primitive arrays
        return Optional.ofNullable(v);
    }

    /** All metadata in file order, unmodifiable; arrays appear as {@link GgufArray} (whose toString is a summary). */
    public Map<String, Object> metadata() {
        checkOpen();
        return metadata;
    }

    public List<GgufTensorInfo> tensors() {
        checkOpen();
        return tensors;
    }

    public GgufTensorInfo tensor(String name) throws GgufException {
        checkOpen();
        GgufTensorInfo t = tensorsByName.get(name);
        if (t == null) throw new GgufException("missing tensor '" + name + "'");
        return t;
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        checkOpen();
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The tensor's bytes: a read-only slice of the mapping, exactly {@code byteSize} long. */
    public MemorySegment data(GgufTensorInfo t) {
        checkOpen();
        GgufTensorInfo own = tensorsByName.get(t.name());
        if (own == null || !own.equals(t)) throw new IllegalArgumentException("tensor " + t + " does not belong to " + path);
        if (notLoaded.contains(t.name()))
            throw new IllegalStateException("tensor '" + t.name() + "' was left in the file (read its rows on demand)");
        return mapping.asSlice(t.dataOffset(), t.byteSize());
    }

    /** Whether the tensor's bytes are in memory ({@link #data} works), not left in the file. */
    public boolean loaded(GgufTensorInfo t) {
        return !notLoaded.contains(t.name());
    }

    /** The per-tensor scale of an I2_S tensor: the first float of its 32-byte tail. */
    public float i2sScale(GgufTensorInfo t) {
        if (t.type() != GgufType.I2_S) throw new IllegalArgumentException("tensor '" + t.name() + "' is " + t.type() + ", not I2_S");
        return data(t).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), t.elements() / 4);
    }

    /** Unmaps the file. Slices obtained from {@link #data} become invalid; later calls throw IllegalStateException. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }
}
