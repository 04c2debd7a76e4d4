package io.bitnet4j.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A row-major F16 matrix (the embedding table, also the tied output projection): row m is {@code cols}
 * IEEE binary16 values at byte 2*m*cols.
 */
public record F16Matrix(MemorySegment data, int rows, int cols) {
    public F16Matrix {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("F16 matrix needs positive shape, got " + rows + "x" + cols);
        if (data.byteSize() != 2L * rows * cols)
            throw new IllegalArgumentException("F16 data is " + data.byteSize() + " bytes, expected " + 2L * rows * cols);
    }
}
