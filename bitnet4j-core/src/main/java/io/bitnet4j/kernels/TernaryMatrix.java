package io.bitnet4j.kernels;

import java.lang.foreign.MemorySegment;

/**
 * An I2_S ternary weight matrix: {@code rows} output rows of {@code cols} inputs, 2 bits per weight in the
 * canonical 128-element / 32-byte block layout, row m at byte m*cols/4, with its per-tensor scale.
 *
 * @param data  exactly rows*cols/4 bytes (the packed codes, without the file's 32-byte tail)
 * @param rows  M, the output dimension (ggml ne1)
 * @param cols  K, the input dimension (ggml ne0), a multiple of 128
 * @param scale the tensor's float scale (weight value = scale * ternary)
 */
public record TernaryMatrix(MemorySegment data, int rows, int cols, float scale) implements TernaryWeights {
    public static final int BLOCK = 128;
    public static final int BLOCK_BYTES = 32;

    public TernaryMatrix {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("ternary matrix needs positive shape, got " + rows + "x" + cols);
        if (cols % BLOCK != 0) throw new IllegalArgumentException("I2_S input dimension " + cols + " is not a multiple of " + BLOCK);
        if (data.byteSize() != bytes(rows, cols))
            throw new IllegalArgumentException("I2_S data is " + data.byteSize() + " bytes, expected " + bytes(rows, cols));
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("I2_S scale is not finite: " + scale);
    }

    /** Packed bytes of a rows x cols matrix (without the tail). */
    public static long bytes(int rows, int cols) {
        return (long) rows * cols / 4;
    }

    @Override
    public long byteSize() {
        return data.byteSize();
    }

    public long rowBytes() {
        return cols / 4;
    }
}
