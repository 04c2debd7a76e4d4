package io.bitnet4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The canonical I2_S byte layout (spec §2.2), for writers, tests and reference paths; the runtime's kernels
 * read the packed bytes directly. The tensor is one flat array of n weights; each block of 128 consecutive
 * weights is 32 bytes, byte j of block b holding weights b*128 + j (bits 7..6), +32 (bits 5..4), +64
 * (bits 3..2) and +96 (bits 1..0); code = weight + 1. The n/4 packed bytes are followed by a 32-byte tail
 * whose first float32 is the per-tensor scale.
 */
public final class I2S {
    public static final int BLOCK = 128;
    public static final int BLOCK_BYTES = 32;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private I2S() {}

    /** Packs ternary weights (-1, 0, +1; length a multiple of 128) and the scale into n/4 + 32 bytes. */
    public static byte[] pack(byte[] weights, float scale) {
        if (weights.length % BLOCK != 0)
            throw new IllegalArgumentException("I2_S needs a multiple of " + BLOCK + " weights, got " + weights.length);
        byte[] out = new byte[weights.length / 4 + GgufType.I2_S_TAIL_BYTES];
        for (int i = 0; i < weights.length; i++) {
            int w = weights[i];
            if (w < -1 || w > 1) throw new IllegalArgumentException("weight " + i + " is " + w + ", not ternary");
            int block = i / BLOCK, inBlock = i % BLOCK, group = inBlock / BLOCK_BYTES, j = inBlock % BLOCK_BYTES;
            out[block * BLOCK_BYTES + j] |= (byte) ((w + 1) << (6 - 2 * group));
        }
        MemorySegment.ofArray(out).set(F32_LE, weights.length / 4, scale);
        return out;
    }

    /** The ternary weight at flat index i of packed data (code 3, which is corrupt, throws). */
    public static int weight(MemorySegment data, long i) {
        long block = i / BLOCK;
        int inBlock = (int) (i % BLOCK), group = inBlock / BLOCK_BYTES, j = inBlock % BLOCK_BYTES;
        int code = (data.get(ValueLayout.JAVA_BYTE, block * BLOCK_BYTES + j) >> (6 - 2 * group)) & 3;
        if (code == 3) throw new IllegalStateException("I2_S code 3 (invalid) at weight " + i);
        return code - 1;
    }

    /** All n weights of a tensor's data (n a multiple of 128). */
    public static byte[] unpack(MemorySegment data, int n) {
        byte[] w = new byte[n];
        for (int i = 0; i < n; i++) w[i] = (byte) weight(data, i);
        return w;
    }

    /** The per-tensor scale: the float32 at byte n/4. */
    public static float scale(MemorySegment data, long n) {
        return data.get(F32_LE, n / 4);
    }
}
