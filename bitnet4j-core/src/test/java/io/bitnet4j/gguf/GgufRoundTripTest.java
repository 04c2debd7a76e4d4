package io.bitnet4j.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed);
        return b;
    }

    private GgufWriter everyValueType() {
        return new GgufWriter()
                .putUInt8("u8", 200).putInt8("i8", -100).putUInt16("u16", 60000).putInt16("i16", -30000)
                .putUInt32("u32", 4_000_000_000L).putInt32("i32", -2_000_000_000)
                .putUInt64("u64", Long.MAX_VALUE).putUInt64("u64big", -1L).putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 1e-5f).putFloat64("f64", Math.PI).putBool("yes", true).putBool("no", false)
                .putString("s", "héllo Ġworld ✓").putString("empty", "")
                .putStringArray("sa", List.of("a", "", "Ġthe", "<|eot_id|>"))
                .putFloat32Array("fa", new float[]{0f, -1000f, 1.5f})
                .putInt32Array("ia", new int[]{1, -3, 7})
                .putUInt32Array("ua", new int[]{1, 2, 0xFFFF_FFFF})
                .putArray("u8a", GgufValueType.UINT8, new byte[]{(byte) 255, 0})
                .putArray("i16a", GgufValueType.INT16, new short[]{-5, 5})
                .putArray("i64a", GgufValueType.INT64, new long[]{Long.MAX_VALUE, -1})
                .putArray("f64a", GgufValueType.FLOAT64, new double[]{0.25, -2})
                .putArray("ba", GgufValueType.BOOL, new boolean[]{true, false})
                .putArray("emptya", GgufValueType.INT32, new int[0]);
    }

    @Test
    void everyValueTypeRoundTrips() throws Exception {
        Path f = dir.resolve("values.gguf");
        GgufWriter w = everyValueType().addTensor("t", GgufType.F32, new long[]{3}, GgufWriter.TensorData.of(pattern(12, 1)));
        w.write(f);
        assertEquals(w.fileSize(), Files.size(f));
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals(200, g.getInt("u8"));
            assertEquals(-100, g.getInt("i8"));
            assertEquals(60000, g.getInt("u16"));
            assertEquals(-30000, g.getInt("i16"));
            assertEquals(4_000_000_000L, g.getLong("u32"));
            assertTrue(assertThrows(GgufException.class, () -> g.getInt("u32")).getMessage().contains("'u32'"));
            assertEquals(-2_000_000_000, g.getInt("i32"));
            assertEquals(Long.MAX_VALUE, g.getLong("u64"));
            assertTrue(assertThrows(GgufException.class, () -> g.getLong("u64big")).getMessage().contains("18446744073709551615"));
            assertEquals(new BigInteger("18446744073709551615"), g.find("u64big").orElseThrow());
            assertEquals(Long.MIN_VALUE, g.getLong("i64"));
            assertEquals(1e-5f, g.getFloat("f32"));
            assertEquals((float) Math.PI, g.getFloat("f64"));
            assertEquals(Math.PI, g.find("f64").orElseThrow());
            assertEquals(200f, g.getFloat("u8"));
            assertTrue(g.getBoolean("yes"));
            assertFalse(g.getBoolean("no"));
            assertEquals("héllo Ġworld ✓", g.getString("s"));
            assertEquals("", g.getString("empty"));
            assertEquals(List.of("a", "", "Ġthe", "<|eot_id|>"), g.getStringArray("sa"));
            assertArrayEquals(new float[]{0f, -1000f, 1.5f}, g.getFloatArray("fa"));
            assertArrayEquals(new int[]{1, -3, 7}, g.getIntArray("ia"));
            assertArrayEquals(new float[]{1, -3, 7}, g.getFloatArray("ia"));
            assertTrue(assertThrows(GgufException.class, () -> g.getIntArray("ua")).getMessage().contains("4294967295"));
            assertArrayEquals(new int[]{255, 0}, g.getIntArray("u8a"));
            assertArrayEquals(new int[]{-5, 5}, g.getIntArray("i16a"));
            assertArrayEquals(new long[]{Long.MAX_VALUE, -1}, (long[]) g.find("i64a").orElseThrow());
            assertArrayEquals(new float[]{0.25f, -2f}, g.getFloatArray("f64a"));
            assertArrayEquals(new boolean[]{true, false}, (boolean[]) g.find("ba").orElseThrow());
            assertArrayEquals(new int[0], g.getIntArray("emptya"));
            assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "u64big", "i64", "f32", "f64", "yes", "no",
                    "s", "empty", "sa", "fa", "ia", "ua", "u8a", "i16a", "i64a", "f64a", "ba", "emptya"), List.copyOf(g.metadata().keySet()));
            assertFalse(g.has("general.alignment"));
        }
    }

    @Test
    void typedGettersNameTheProblem() throws Exception {
        Path f = dir.resolve("v.gguf");
        everyValueType().write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("missing metadata key 'nope'", assertThrows(GgufException.class, () -> g.getString("nope")).getMessage());
            String m = assertThrows(GgufException.class, () -> g.getString("u32")).getMessage();
            assertTrue(m.contains("'u32'") && m.contains("UINT32") && m.contains("STRING"), m);
            m = assertThrows(GgufException.class, () -> g.getLong("s")).getMessage();
            assertTrue(m.contains("STRING") && m.contains("integer"), m);
            assertThrows(GgufException.class, () -> g.getLong("yes"));
            assertThrows(GgufException.class, () -> g.getBoolean("u8"));
            m = assertThrows(GgufException.class, () -> g.getStringArray("fa")).getMessage();
            assertTrue(m.contains("ARRAY of FLOAT32"), m);
            assertThrows(GgufException.class, () -> g.getFloatArray("sa"));
            assertThrows(GgufException.class, () -> g.getIntArray("fa"));
            assertEquals("missing tensor 'x'", assertThrows(GgufException.class, () -> g.tensor("x")).getMessage());
            assertTrue(g.findTensor("x").isEmpty());
            assertTrue(g.tensors().isEmpty());
        }
    }

    @Test
    void tensorsAreAlignedAndSliced() throws Exception {
        Path f = dir.resolve("t.gguf");
        byte[] a = pattern(5 * 4, 1), b = pattern(3 * 2, 2), c = pattern(512 / 4 + 32, 3);
        GgufWriter w = new GgufWriter().putString("general.architecture", "x")
                .addTensor("a", GgufType.F32, new long[]{5}, GgufWriter.TensorData.of(a))
                .addTensor("b", GgufType.F16, new long[]{3, 1}, GgufWriter.TensorData.of(b))
                // I2_S written in two chunks to exercise streaming.
                .addTensor("c", GgufType.I2_S, new long[]{128, 4}, sink -> {
                    sink.write(ByteBuffer.wrap(c, 0, 100));
                    sink.write(ByteBuffer.wrap(c, 100, c.length - 100));
                });
        w.write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(3, g.tensors().size());
            assertEquals(List.of("a", "b", "c"), g.tensors().stream().map(GgufTensorInfo::name).toList());
            for (GgufTensorInfo t : g.tensors()) assertEquals(0, t.dataOffset() % 32, t.toString());
            GgufTensorInfo tc = g.tensor("c");
            assertEquals(GgufType.I2_S, tc.type());
            assertEquals(512, tc.elements());
            assertEquals(512 / 4 + 32, tc.byteSize());
            assertArrayEquals(new long[]{128, 4}, tc.shape());
            assertArrayEquals(a, g.data(g.tensor("a")).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(b, g.data(g.tensor("b")).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(c, g.data(tc).toArray(ValueLayout.JAVA_BYTE));
            assertTrue(g.data(tc).isReadOnly());
            float scale = ByteBuffer.wrap(c, 128, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            assertEquals(scale, g.i2sScale(tc));
        }
    }

    @Test
    void customAlignmentWritesTheKey() throws Exception {
        Path f = dir.resolve("a.gguf");
        new GgufWriter().alignment(64)
                .addTensor("a", GgufType.F32, new long[]{3}, GgufWriter.TensorData.of(pattern(12, 0)))
                .addTensor("b", GgufType.F32, new long[]{3}, GgufWriter.TensorData.of(pattern(12, 9))).write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(64, g.alignment());
            assertEquals(64, g.getLong("general.alignment"));
            assertEquals(64, g.tensor("b").dataOffset() - g.tensor("a").dataOffset());
            assertEquals(0, g.tensor("a").dataOffset() % 64);
        }
    }

    @Test
    void writerRejectsWrongByteCounts() {
        Path f = dir.resolve("bad.gguf");
        GgufWriter shortData = new GgufWriter().addTensor("a", GgufType.F32, new long[]{4}, GgufWriter.TensorData.of(new byte[12]));
        assertTrue(assertThrows(java.io.IOException.class, () -> shortData.write(f)).getMessage().contains("'a'"));
        assertFalse(Files.exists(f), "a failed write leaves no partial file");
        GgufWriter longData = new GgufWriter().addTensor("a", GgufType.F32, new long[]{2}, GgufWriter.TensorData.of(new byte[12]));
        assertTrue(assertThrows(java.io.IOException.class, () -> longData.write(f)).getMessage().contains("exceeds"));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putString("k", "a").putString("k", "b"));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("i", GgufType.I2_S, new long[]{6}, s -> {}));
    }

    @Test
    void closedFileRefusesAccess() throws Exception {
        Path f = dir.resolve("c.gguf");
        new GgufWriter().putString("k", "v").addTensor("a", GgufType.F32, new long[]{1}, GgufWriter.TensorData.of(new byte[4])).write(f);
        GgufFile g = GgufFile.open(f);
        GgufTensorInfo t = g.tensor("a");
        var seg = g.data(t);
        g.close();
        g.close(); // idempotent
        assertEquals("GGUF file closed", assertThrows(IllegalStateException.class, () -> g.getString("k")).getMessage());
        assertThrows(IllegalStateException.class, () -> g.data(t));
        assertThrows(IllegalStateException.class, g::tensors);
        assertThrows(IllegalStateException.class, g::fileSize);
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
    }
}
