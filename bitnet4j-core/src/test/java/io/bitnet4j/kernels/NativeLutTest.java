package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The LUT kernels against the I2_S native scalar reference, bit for bit, on random data. */
class NativeLutTest {

    private static final int[][] SHAPES = {{1, 128}, {31, 256}, {33, 384}, {97, 640}, {640, 2560}, {70, 6912}};
    private static final int[] TOKENS = {1, 2, 3, 5, 8, 17};

    /** The ISAs that run a layout on this CPU: always the scalar reference, plus the SIMD kernel if present. */
    private static List<String> isas(String layout) {
        var out = new ArrayList<String>();
        out.add("scalar");
        if (layout.equals(LutMatrix.TL2) && NativeBackend.supports("avx2")) out.add("avx2");
        if (layout.equals(LutMatrix.TL1)) {
            for (String isa : List.of("neon", "neon-dotprod")) if (NativeBackend.supports(isa)) out.add(isa);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {LutMatrix.TL1, LutMatrix.TL2})
    void simdKernelIsBitExactWithI2s(String layout) {
        Assumptions.assumeTrue(NativeLut.supported(layout),
                "layout " + layout + " has no SIMD kernel on this CPU (" + NativeBackend.bestIsa() + "): skipped");
        compare(layout, List.of(layout.equals(LutMatrix.TL2) ? "avx2" : isas(layout).get(1)));
    }

    @ParameterizedTest
    @ValueSource(strings = {LutMatrix.TL1, LutMatrix.TL2})
    void scalarAndAutoAreBitExactWithI2s(String layout) {
        var list = new ArrayList<String>(List.of("scalar"));
        list.add(null);  // auto
        list.addAll(isas(layout).subList(1, isas(layout).size()));
        compare(layout, list);
    }

    private static void compare(String layout, List<String> isas) {
        var rnd = new Random(7);
        var scalar = NativeBackend.select("scalar");
        for (int[] shape : SHAPES) {
            int m = shape[0], k = shape[1];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment wdata = arena.allocate(TernaryMatrix.bytes(m, k));
                for (long i = 0; i < wdata.byteSize(); i++) wdata.set(JAVA_BYTE, i, (byte) NativeBackendTest.randomCodes(rnd));
                var w = new TernaryMatrix(wdata, m, k, 0.5f + rnd.nextFloat());
                LutMatrix lut = NativeLut.pack(w, layout, arena);
                assertEquals(0, lut.packed().address() % 64, "packed data is 64-byte aligned");
                for (int tokens : TOKENS) {
                    if ((long) m * k * tokens > 20_000_000L) continue;
                    MemorySegment q = arena.allocate((long) tokens * k), s = arena.allocate(4L * tokens),
                            sum = arena.allocate(4L * tokens);
                    for (int t = 0; t < tokens; t++) {
                        int acc = 0;
                        for (int i = 0; i < k; i++) {
                            byte v = (byte) (rnd.nextInt(256) - 128);
                            q.set(JAVA_BYTE, (long) t * k + i, v);
                            acc += v;
                        }
                        s.setAtIndex(JAVA_FLOAT, t, 1f + 100 * rnd.nextFloat());
                        sum.setAtIndex(JAVA_INT, t, acc);
                    }
                    int ldy = m + 3, begin = m > 4 ? 1 : 0, end = m > 4 ? m - 2 : m;
                    MemorySegment expected = arena.allocate(4L * tokens * ldy);
                    scalar.i2sGemm(w, q, s, sum, tokens, expected, ldy, begin, end);
                    for (String isa : isas) {
                        MemorySegment y = arena.allocate(4L * tokens * ldy);
                        NativeLut.gemm(isa, lut, q, s, sum, tokens, y, ldy, begin, end);
                        for (long i = 0; i < (long) tokens * ldy; i++)
                            assertEquals(Float.floatToRawIntBits(expected.getAtIndex(JAVA_FLOAT, i)),
                                    Float.floatToRawIntBits(y.getAtIndex(JAVA_FLOAT, i)),
                                    layout + "/" + (isa == null ? "auto" : isa) + " " + m + "x" + k + " T=" + tokens + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void validatesBeforeNativeCode() {
        try (Arena arena = Arena.ofConfined()) {
            var w = new TernaryMatrix(arena.allocate(TernaryMatrix.bytes(4, 128)), 4, 128, 1f);
            w.data().fill((byte) 0x55);  // all code 1 (weight 0)
            LutMatrix lut = NativeLut.pack(w, LutMatrix.TL2, arena);
            assertEquals(LutMatrix.bytes(LutMatrix.TL2, 4, 128), lut.packed().byteSize());
            MemorySegment q = arena.allocate(128), s = arena.allocate(4), sum = arena.allocate(4), y = arena.allocate(8);
            assertThrows(IndexOutOfBoundsException.class, () -> NativeLut.gemm(null, lut, q, s, sum, 1, y, 4, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> NativeLut.gemm(null, lut, q, s, sum, 1, y, 4, 3, 2));
            assertThrows(IllegalArgumentException.class, () -> NativeLut.gemm("neon", lut, q, s, sum, 1, y, 4, 0, 2));
            var e = assertThrows(IllegalArgumentException.class, () -> NativeLut.supported("tl3"));
            assertTrue(e.getMessage().contains("tl3"));
            assertThrows(IllegalArgumentException.class,
                    () -> new LutMatrix(LutMatrix.TL1, arena.allocate(10), 4, 128, 1f));
            w.data().set(JAVA_BYTE, 5, (byte) 0x57);  // a code 3
            assertThrows(IllegalArgumentException.class, () -> NativeLut.pack(w, LutMatrix.TL1, arena));
        }
    }
}
