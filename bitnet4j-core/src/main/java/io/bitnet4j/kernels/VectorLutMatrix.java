package io.bitnet4j.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A ternary matrix repacked at load time for {@link VectorLut}: rows in tiles of {@code bits / 8} (one row
 * per byte lane of the kernel's vector), and within a tile, for every 4 inputs, one byte per row holding two
 * 4-bit pair indices (3*w0 + w1 + 4, inputs 4c..4c+1 in the low nibble, 4c+2..4c+3 in the high one). Same
 * 2 bits per weight as I2_S; the last tile's missing rows are padded with zero weights.
 *
 * @param indices exactly {@link #bytes(int, int, int)} bytes
 * @param bits    the vector width the layout was made for (128, 256 or 512): it fixes the tile height
 * @param rows    M, the output dimension
 * @param cols    K, the input dimension, a multiple of 128
 * @param scale   the tensor's float scale, as in {@link TernaryMatrix}
 */
public record VectorLutMatrix(MemorySegment indices, int bits, int rows, int cols, float scale) implements TernaryWeights {

    public VectorLutMatrix {
        if (bits != 128 && bits != 256 && bits != 512)
            throw new IllegalArgumentException("vector width must be 128, 256 or 512 bits, got " + bits);
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("LUT matrix needs positive shape, got " + rows + "x" + cols);
        if (cols % TernaryMatrix.BLOCK != 0)
            throw new IllegalArgumentException("input dimension " + cols + " is not a multiple of " + TernaryMatrix.BLOCK);
        if (indices == null) throw new NullPointerException("indices");
        if (indices.byteSize() != bytes(bits, rows, cols))
            throw new IllegalArgumentException("vector LUT data is " + indices.byteSize() + " bytes, expected " + bytes(bits, rows, cols));
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("scale is not finite: " + scale);
    }

    @Override
    public long byteSize() {
        return indices.byteSize();
    }

    /** Rows per tile: one per byte lane. */
    public int tileRows() {
        return bits / 8;
    }

    /** Packed bytes: whole tiles of tileRows rows, cols/4 index bytes per row. */
    public static long bytes(int bits, int rows, int cols) {
        long tile = bits / 8;
        return (rows + tile - 1) / tile * tile * (cols / 4);
    }
}
