package io.bitnet4j.gguf;

import io.bitnet4j.SharedFiles;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class I2STest {
    @Test
    void bitPositionsFollowTheSpec() {
        byte[] w = new byte[256]; // all zero weights -> code 1 everywhere
        w[128 + 5] = 1;           // block 1, group 0, j = 5 -> bits 7..6 of byte 32 + 5
        w[128 + 32 + 5] = -1;     // group 1 -> bits 5..4 of the same byte
        w[96 + 31] = 1;           // block 0, group 3, j = 31 -> bits 1..0 of byte 31
        byte[] p = I2S.pack(w, 0.5f);
        assertEquals(256 / 4 + 32, p.length);
        assertEquals((byte) 0b10_00_01_01, p[37]);
        assertEquals((byte) 0b01_01_01_10, p[31]);
        assertEquals((byte) 0b01_01_01_01, p[0]);
        assertEquals(0.5f, I2S.scale(MemorySegment.ofArray(p), 256));
        for (int i = 64 + 4; i < p.length; i++) assertEquals(0, p[i]);
    }

    @Test
    void packUnpackRoundTrips() {
        SplittableRandom r = new SplittableRandom(3);
        byte[] w = new byte[128 * 20];
        for (int i = 0; i < w.length; i++) w[i] = (byte) (r.nextInt(3) - 1);
        byte[] p = I2S.pack(w, 0.125f);
        assertArrayEquals(w, I2S.unpack(MemorySegment.ofArray(p), w.length));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> I2S.pack(new byte[100], 1f));
        assertThrows(IllegalArgumentException.class, () -> I2S.pack(new byte[]{2, 0, 0, 0}, 1f));
        byte[] bad = new byte[32 + 32];
        bad[0] = (byte) 0xC0;
        assertThrows(IllegalStateException.class, () -> I2S.weight(MemorySegment.ofArray(bad), 0));
    }

    @Test
    void parityFileWeightsAreTernaryWithMixedSigns() throws Exception {
        try (GgufFile g = GgufFile.open(SharedFiles.parity("pa.gguf"))) {
            GgufTensorInfo t = g.tensor("blk.0.attn_q.weight");
            byte[] w = I2S.unpack(g.data(t), (int) t.elements());
            int[] counts = new int[3];
            for (byte b : w) counts[b + 1]++;
            assertTrue(counts[0] > 0 && counts[1] > 0 && counts[2] > 0, java.util.Arrays.toString(counts));
            assertEquals(g.i2sScale(t), I2S.scale(g.data(t), t.elements()));
        }
    }
}
