package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NativeBackendTest {

    @Test
    void reportsIsas() {
        assertTrue(NativeBackend.supportedIsas().contains("scalar"));
        assertTrue(NativeBackend.supportedIsas().contains(NativeBackend.bestIsa()));
        assertEquals(System.getProperty("bitnet4j.version"), NativeBackend.libraryVersion(), "the native library carries the project version");
    }

    @Test
    void isaNamesComeFromTheLibrary() {
        // read through b4j_isa_count / b4j_isa_name; the names are public (bitnet4j.isa, the CLI's --isa)
        assertEquals(List.of("scalar", "avx2", "avx512-vnni", "neon", "neon-dotprod"), NativeBackend.allIsas());
        for (String isa : NativeBackend.supportedIsas()) assertEquals(isa, NativeBackend.select(isa).isa());
    }

    @Test
    void unknownOrMissingIsaIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> NativeBackend.select("sse9"));
        assertTrue(e.getMessage().contains("sse9"));
    }

    @Test
    void rejectsOutOfBoundsBeforeNativeCode() {
        try (Arena arena = Arena.ofConfined()) {
            var w = new TernaryMatrix(arena.allocate(TernaryMatrix.bytes(4, 128)), 4, 128, 1f);
            MemorySegment q = arena.allocate(128), s = arena.allocate(4), sum = arena.allocate(4), y = arena.allocate(8);
            var backend = new NativeBackend();
            // y holds 2 floats, 4 rows are asked for
            assertThrows(IndexOutOfBoundsException.class, () -> backend.i2sGemm(w, q, s, sum, 1, y, 4, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> backend.i2sGemm(w, q, s, sum, 1, y, 4, 3, 2));
        }
    }

    @Test
    void quantizeAndGemvMatchJavaReference() {
        var rnd = new Random(42);
        int m = 64, k = 384;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * k), w = arena.allocate(TernaryMatrix.bytes(m, k));
            for (int i = 0; i < k; i++) x.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
            for (long i = 0; i < w.byteSize(); i++) w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) randomCodes(rnd));
            var matrix = new TernaryMatrix(w, m, k, 0.75f);
            float[] expected = run(new JavaKernels(), matrix, x, arena);
            float[] actual = run(new NativeBackend(), matrix, x, arena);
            for (int i = 0; i < m; i++) assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "row " + i);
        }
    }

    static int randomCodes(Random rnd) {
        int b = 0;
        for (int i = 0; i < 4; i++) b = (b << 2) | rnd.nextInt(3);
        return b;
    }

    static float[] run(Kernels kernels, TernaryMatrix w, MemorySegment x, Arena arena) {
        MemorySegment q = arena.allocate(w.cols()), s = arena.allocate(4), sum = arena.allocate(4), y = arena.allocate(4L * w.rows());
        kernels.quantizeI8s(x, w.cols(), 1, q, s, sum);
        kernels.i2sGemm(w, q, s, sum, 1, y, w.rows(), 0, w.rows());
        return y.toArray(JAVA_FLOAT);
    }
}
