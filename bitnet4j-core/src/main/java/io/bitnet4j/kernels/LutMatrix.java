package io.bitnet4j.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A ternary matrix repacked at load time for the lookup-table kernels ({@link NativeLut}): bitnet4j's own
 * in-memory TL1 or TL2 layout (see {@code native/internal.h}), not bitnet.cpp's file formats.
 *
 * @param layout "tl1" (2-weight groups, NEON) or "tl2" (3-weight groups, AVX2)
 * @param packed exactly {@link #bytes(String, int, int)} bytes
 * @param rows   M, the output dimension
 * @param cols   K, the input dimension, a multiple of 128
 * @param scale  the tensor's float scale, as in {@link TernaryMatrix}
 */
public record LutMatrix(String layout, MemorySegment packed, int rows, int cols, float scale) implements TernaryWeights {
    public static final String TL1 = "tl1", TL2 = "tl2";

    /** Rows per tile of the packed layouts; the last tile is zero-padded. */
    public static final int TILE = 32;

    public LutMatrix {
        layoutId(layout);
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("LUT matrix needs positive shape, got " + rows + "x" + cols);
        if (cols % TernaryMatrix.BLOCK != 0)
            throw new IllegalArgumentException("input dimension " + cols + " is not a multiple of " + TernaryMatrix.BLOCK);
        if (packed == null) throw new NullPointerException("packed");
        if (packed.byteSize() != bytes(layout, rows, cols))
            throw new IllegalArgumentException(layout + " data is " + packed.byteSize() + " bytes, expected " + bytes(layout, rows, cols));
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("scale is not finite: " + scale);
    }

    @Override
    public long byteSize() {
        return packed.byteSize();
    }

    /**
     * Packed bytes of a rows x cols matrix: 32-row tiles of groups; a TL2 group is 8 triplets (24 weights,
     * K zero-padded) in 160 bytes, a TL1 group 8 pairs (16 weights) in 128 bytes. Mirrors
     * {@code b4j_lut_packed_bytes}, so sizes are checked before any native call.
     */
    public static long bytes(String layout, int rows, int cols) {
        long tiles = (rows + (long) TILE - 1) / TILE;
        long groups = layoutId(layout) == NativeKernels.LAYOUT_TL2 ? (cols + 23L) / 24 : cols / 16L;
        long groupBytes = layoutId(layout) == NativeKernels.LAYOUT_TL2 ? 160 : 128;
        return tiles * groups * groupBytes;
    }

    static int layoutId(String layout) {
        if (TL1.equals(layout)) return NativeKernels.LAYOUT_TL1;
        if (TL2.equals(layout)) return NativeKernels.LAYOUT_TL2;
        throw new IllegalArgumentException("unknown LUT layout '" + layout + "', expected " + TL1 + " or " + TL2);
    }
}
