package io.bitnet4j.model;

import io.bitnet4j.gguf.TensorRows;
import io.bitnet4j.kernels.F16Matrix;
import java.lang.foreign.MemorySegment;

/**
 * The rows of an F16 [rows][cols] table (the embedding, the output projection) as the forward pass fetches them:
 * copied from the table in memory, or read from the model file on demand in low-memory mode. Thread-safe.
 */
interface F16Rows extends AutoCloseable {

    int rows();

    int cols();

    /** Copies rows [first, first + count) into dst at dstOffset: count * cols F16 values. */
    void read(int first, int count, MemorySegment dst, long dstOffset);

    /** The table in memory, or null when its rows are read from the file. */
    F16Matrix inMemory();

    @Override
    void close();

    static F16Rows of(F16Matrix table) {
        return new F16Rows() {
            public int rows() { return table.rows(); }
            public int cols() { return table.cols(); }
            public F16Matrix inMemory() { return table; }
            public void close() {}

            public void read(int first, int count, MemorySegment dst, long dstOffset) {
                MemorySegment.copy(table.data(), 2L * first * table.cols(), dst, dstOffset, 2L * count * table.cols());
            }
        };
    }

    /** Rows read with positional reads from the file (see {@link TensorRows}); closing closes the reader. */
    static F16Rows of(TensorRows file, int cols) {
        return new F16Rows() {
            public int rows() { return file.rows(); }
            public int cols() { return cols; }
            public F16Matrix inMemory() { return null; }
            public void close() { file.close(); }

            public void read(int first, int count, MemorySegment dst, long dstOffset) {
                file.read(first, count, dst, dstOffset);
            }
        };
    }
}
