package io.bitnet4j.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hostile or damaged file must fail with a GgufException that names the problem, never anything else. */
class GgufCorruptionTest {
    @TempDir
    Path dir;

    /** Hand-assembled little-endian bytes, so each case can break exactly one field. */
    private static final class Raw {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u32(long v) { ByteBuffer b = le(4).putInt((int) v); out.writeBytes(b.array()); return this; }
        Raw u64(long v) { ByteBuffer b = le(8).putLong(v); out.writeBytes(b.array()); return this; }
        Raw u8(int v) { out.write(v); return this; }
        Raw str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); out.writeBytes(b); return this; }
        Raw header(long nTensors, long nKv) { return u32(0x46554747).u32(3).u64(nTensors).u64(nKv); }
        Raw kvU32(String k, long v) { return str(k).u32(4).u32(v); }
        Raw tensor(String name, int type, long off, long... dims) {
            str(name).u32(dims.length);
            for (long d : dims) u64(d);
            return u32(type).u64(off);
        }
        /** Pads to 32 and appends {@code dataBytes} zero bytes. */
        Raw data(int dataBytes) {
            while (out.size() % 32 != 0) out.write(0);
            out.writeBytes(new byte[dataBytes]);
            return this;
        }
        /** Appends junk so the up-front count checks pass and the field under test is reached. */
        Raw tail(int n) { out.writeBytes(new byte[n]); return this; }
        byte[] bytes() { return out.toByteArray(); }

        private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }
    }

    /** The error for a corrupt file, which must be the same whether the file is mapped or read into memory. */
    private String failure(byte[] file) throws Exception {
        Path f = Files.write(dir.resolve("case.gguf"), file);
        String mapped = failure(() -> GgufFile.open(f));
        assertEquals(mapped, failure(() -> GgufFile.read(f, io.bitnet4j.ProgressListener.NONE)), "read into memory");
        return mapped;
    }

    private interface Opener { GgufFile open() throws Exception; }

    private static String failure(Opener opener) throws Exception {
        try (GgufFile g = opener.open()) {
            fail("opened a corrupt file: " + g);
            return null;
        } catch (GgufException e) {
            assertNotNull(e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void readingIntoMemoryGivesTheMappedBytes() throws Exception {
        Path f = Files.write(dir.resolve("v.gguf"), validFile());
        java.util.List<Double> progress = new java.util.ArrayList<>();
        try (GgufFile mapped = GgufFile.open(f); GgufFile read = GgufFile.read(f, (stage, done, total) -> progress.add((double) done / total))) {
            assertEquals(mapped.metadata().keySet(), read.metadata().keySet());
            assertEquals(mapped.tensors(), read.tensors());
            for (GgufTensorInfo t : mapped.tensors())
                assertEquals(-1, mapped.data(t).mismatch(read.data(t)), t.name());
            assertTrue(read.data(read.tensors().get(0)).isReadOnly(), "weights read into memory are read-only, as mapped ones");
        }
        assertEquals(1.0, progress.get(progress.size() - 1));
    }

    private void expect(byte[] file, String... fragments) throws Exception {
        String m = failure(file);
        for (String s : fragments) assertTrue(m.contains(s), "message '" + m + "' lacks '" + s + "'");
    }

    /** A valid small file from the writer, used for the truncation and random-damage corpus. */
    private byte[] validFile() throws Exception {
        Path f = dir.resolve("valid.gguf");
        new GgufWriter().putString("general.architecture", "bitnet-b1.58").putUInt32("n", 7).putFloat32("eps", 1e-5f)
                .putBool("b", true)
                .putStringArray("tokens", List.of("a", "b", "Ġc", "<|eot_id|>"))
                .putFloat32Array("scores", new float[]{0, 0, 0, -1000})
                .putInt32Array("types", new int[]{1, 1, 1, 3})
                .addTensor("e", GgufType.F16, new long[]{4, 3}, GgufWriter.TensorData.of(new byte[24]))
                .addTensor("n", GgufType.F32, new long[]{4}, GgufWriter.TensorData.of(new byte[16]))
                .addTensor("w", GgufType.I2_S, new long[]{128, 2}, GgufWriter.TensorData.of(new byte[64 + 32]))
                .write(f);
        return Files.readAllBytes(f);
    }

    @Test
    void everyTruncationFailsCleanly() throws Exception {
        byte[] valid = validFile();
        long lastEnd;
        try (GgufFile g = GgufFile.open(Files.write(dir.resolve("v.gguf"), valid))) {
            GgufTensorInfo w = g.tensor("w");
            lastEnd = w.dataOffset() + w.byteSize();
        }
        for (int len = 0; len < valid.length; len++) {
            byte[] cut = Arrays.copyOf(valid, len);
            if (len < lastEnd) {
                String m = failure(cut);
                assertTrue(m.contains("truncated") || m.contains("remain") || m.contains("too small") || m.contains("past the end") || m.contains("cannot fit"),
                        "length " + len + ": " + m);
            } else {
                // Only the final padding is missing: every tensor is whole, so the file is still readable.
                try (GgufFile g = GgufFile.open(Files.write(dir.resolve("case.gguf"), cut))) {
                    assertEquals(3, g.tensors().size());
                }
            }
        }
    }

    @Test
    void randomDamageNeverEscapesAsAnotherException() throws Exception {
        byte[] valid = validFile();
        SplittableRandom rnd = new SplittableRandom(42);
        int failures = 0;
        for (int i = 0; i < 600; i++) {
            byte[] bad = valid.clone();
            int flips = 1 + rnd.nextInt(3);
            for (int k = 0; k < flips; k++) {
                int at = rnd.nextInt(Math.min(bad.length, 400));
                bad[at] = (byte) (rnd.nextBoolean() ? rnd.nextInt(256) : 0xFF);
            }
            Path f = Files.write(dir.resolve("case.gguf"), bad);
            try (GgufFile g = GgufFile.open(f)) {
                // Damage inside string bytes or values can leave a valid file; it must still be usable.
                for (GgufTensorInfo t : g.tensors()) assertEquals(t.byteSize(), g.data(t).byteSize());
            } catch (GgufException e) {
                failures++;
                assertNotNull(e.getMessage());
            }
        }
        assertTrue(failures > 100, "expected most damaged files to be rejected, got " + failures);
    }

    @Test
    void badMagicAndVersions() throws Exception {
        byte[] valid = validFile();
        byte[] b = valid.clone();
        b[0] = 'X';
        expect(b, "bad magic");
        b = valid.clone();
        b[4] = 1;
        expect(b, "version 1");
        b = valid.clone();
        b[4] = 9;
        expect(b, "unsupported GGUF version 9");
        b = valid.clone();
        b[4] = 2; // v2 has the same layout as v3
        try (GgufFile g = GgufFile.open(Files.write(dir.resolve("v2.gguf"), b))) {
            assertEquals(2, g.version());
        }
        expect(new byte[10], "too small");
    }

    @Test
    void impossibleCounts() throws Exception {
        expect(new Raw().header(0, Long.MAX_VALUE).bytes(), "n_kv");
        expect(new Raw().header(0, -1).bytes(), "n_kv 18446744073709551615");
        expect(new Raw().header(1L << 40, 0).data(64).bytes(), "n_tensors");
        expect(new Raw().header(0, 1).str("k").u32(8).u64(5).u8('a').bytes(), "value of key 'k' has length 5", "remain");
    }

    @Test
    void hostileStringsAndArrays() throws Exception {
        expect(new Raw().header(0, 1).u64(Long.MAX_VALUE - 3).tail(16).bytes(), "key of metadata entry 0", "length");
        expect(new Raw().header(0, 1).u64(-8).tail(16).bytes(), "18446744073709551608");
        expect(new Raw().header(0, 1).str("k").u32(8).u64(1L << 62).bytes(), "value of key 'k'", "length");
        expect(new Raw().header(0, 1).str("k").u32(99).u32(0).bytes(), "key 'k' has unknown value type id 99");
        expect(new Raw().header(0, 1).str("k").u32(-1).u32(0).bytes(), "unknown value type id 4294967295");
        // count * 4 bytes would overflow a long
        expect(new Raw().header(0, 1).str("k").u32(9).u32(5).u64(1L << 62).u32(0).bytes(), "array count", "'k'");
        expect(new Raw().header(0, 1).str("k").u32(9).u32(10).u64(-1).bytes(), "array count");
        expect(new Raw().header(0, 1).str("k").u32(9).u32(8).u64(1L << 40).str("x").bytes(), "array count");
        expect(new Raw().header(0, 1).str("k").u32(9).u32(8).u64(2).str("x").u64(1L << 50).bytes(), "element 1 of key 'k'");
        expect(new Raw().header(0, 1).str("k").u32(9).u32(9).u64(1).u32(4).u64(1).u32(0).bytes(), "array of arrays");
        expect(new Raw().header(0, 1).str("k").u32(9).u32(77).u64(1).bytes(), "array of unknown value type id 77");
        expect(new Raw().header(0, 1).str("k").u32(7).u8(2).u8(0).bytes(), "bool byte 2");
        expect(new Raw().header(0, 1).str("").u32(4).u32(1).bytes(), "empty key");
        expect(new Raw().header(0, 2).kvU32("k", 1).kvU32("k", 2).bytes(), "duplicate metadata key 'k'");
    }

    @Test
    void largeButInFileValuesAreBounded() throws Exception {
        // Counts that fit in the file but would make the parser allocate far more heap than any model needs.
        expect(new Raw().header(0, 1).str("k").u32(8).u64(GgufReader.MAX_STRING_BYTES + 1).tail((int) GgufReader.MAX_STRING_BYTES + 8).bytes(),
                "value of key 'k'", "above the limit");
        expect(new Raw().header(0, 1).str("k").u32(9).u32(8).u64(GgufReader.MAX_STRING_ARRAY + 1)
                .tail((int) (GgufReader.MAX_STRING_ARRAY + 1) * 8).bytes(), "array count", "above the reader's limit");
    }

    @Test
    void badAlignmentKey() throws Exception {
        expect(new Raw().header(0, 1).kvU32("general.alignment", 48).bytes(), "power of two");
        expect(new Raw().header(0, 1).kvU32("general.alignment", 0).bytes(), "power of two");
        expect(new Raw().header(0, 1).str("general.alignment").u32(8).str("32").bytes(), "must be UINT32");
    }

    @Test
    void hostileTensorInfos() throws Exception {
        expect(new Raw().header(1, 0).str("t").u32(0).u32(0).u64(0).data(8).bytes(), "tensor 't' has n_dims 0");
        expect(new Raw().header(1, 0).str("t").u32(5).u64(1).u64(1).u64(1).u64(1).u64(1).u32(0).u64(0).data(8).bytes(), "n_dims 5");
        expect(new Raw().header(1, 0).tensor("t", 0, 0, 4, 0).data(64).bytes(), "ne[1] = 0");
        expect(new Raw().header(1, 0).tensor("t", 0, 0, -1).data(64).bytes(), "ne[0] = 18446744073709551615");
        expect(new Raw().header(1, 0).tensor("t", 0, 0, 1L << 40, 1L << 40).data(64).bytes(), "'t'", "overflows");
        expect(new Raw().header(1, 0).tensor("t", 0, 0, 1L << 61).data(64).bytes(), "'t'", "overflows");
        expect(new Raw().header(1, 0).tensor("t", 14, 0, 256).data(256).bytes(), "tensor 't' has unsupported type Q6_K (type id 14)");
        expect(new Raw().header(1, 0).tensor("t", 38, 0, 256).data(256).bytes(), "unsupported type TL1 (type id 38)");
        expect(new Raw().header(1, 0).tensor("t", 36, 0, 6).data(64).bytes(), "'t'", "multiple of 4");
        expect(new Raw().header(1, 0).tensor("t", 0, 4, 1).data(64).bytes(), "offset 4", "alignment 32");
        expect(new Raw().header(1, 0).tensor("t", 0, 64, 1).data(32).bytes(), "'t'", "past the end");
        expect(new Raw().header(1, 0).tensor("t", 0, 0, 9).data(32).bytes(), "'t'", "past the end");
        expect(new Raw().header(1, 0).tensor("t", 0, -32, 1).data(32).bytes(), "'t'");
        expect(new Raw().header(1, 0).tensor("t", 36, 0, 1L << 40).data(64).bytes(), "'t'", "past the end");
        expect(new Raw().header(2, 0).tensor("t", 0, 0, 1).tensor("t", 0, 32, 1).data(64).bytes(), "duplicate tensor name 't'");
        expect(new Raw().header(2, 0).tensor("a", 0, 0, 16).tensor("b", 0, 32, 1).data(96).bytes(), "'a'", "overlaps", "'b'");
        expect(new Raw().header(1, 0).str("").u32(1).u64(1).u32(0).u64(0).data(32).bytes(), "empty name");
        expect(new Raw().header(1, 0).str("tensor_name_long_enough").u32(1).u64(1).bytes(), "truncated", "type of tensor 'tensor_name_long_enough'");
    }

    @Test
    void offsetsAreReported() throws Exception {
        String m = failure(new Raw().header(0, 1).str("k").u32(99).u32(0).bytes());
        assertTrue(m.contains("byte offset 33"), m); // 24-byte header + 8-byte key length + 1 key byte
    }
}
