package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A row-quantized int8 matrix (the optional quantized copy of the tied output projection): {@code rows} x
 * {@code cols} codes in [-127, 127] (never -128), row m at byte m*cols, and one float scale per row, so that
 * w[m][k] ~= scales[m] * data[m*cols + k].
 *
 * <p>Made from an {@link F16Matrix} by per-row absmax ({@link #quantizeRows}), bit-identical to the native
 * {@code b4j_i8_quantize_rows}: a = the F16 value as float; max = max|a|; scale = max / 127f (float); a row
 * with max 0 gets scale 0 and codes 0; otherwise q = clamp(rint(a / scale), -127, 127), the division in
 * float and rint rounding half to even. Non-finite F16 values are rejected here (the native packer would
 * count them as 0, which would silently hide a corrupt table).
 *
 * @param data   exactly rows*cols bytes
 * @param scales exactly rows floats
 * @param rows   M, the output dimension
 * @param cols   K, the input dimension, at most {@link #MAX_COLS} so every int8 dot fits an int
 */
public record I8Matrix(MemorySegment data, MemorySegment scales, int rows, int cols) {

    /** |dot| &lt;= 127 * 128 * K must stay below 2^31: K &lt;= 65536 gives at most 2^30 - 2^23. */
    public static final int MAX_COLS = 65536;

    public I8Matrix {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("I8 matrix needs positive shape, got " + rows + "x" + cols);
        if (cols > MAX_COLS) throw new IllegalArgumentException("I8 input dimension " + cols + " exceeds " + MAX_COLS + " (int32 dot bound)");
        if (data.byteSize() != (long) rows * cols)
            throw new IllegalArgumentException("I8 data is " + data.byteSize() + " bytes, expected " + (long) rows * cols);
        if (scales.byteSize() != 4L * rows)
            throw new IllegalArgumentException("I8 scales are " + scales.byteSize() + " bytes, expected " + 4L * rows);
    }

    /** A zeroed matrix in arena, to be filled by {@link #quantizeRows} (possibly by several threads). */
    public static I8Matrix allocate(Arena arena, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("I8 matrix needs positive shape, got " + rows + "x" + cols);
        return new I8Matrix(arena.allocate((long) rows * cols, 64), arena.allocate(4L * rows, 64), rows, cols);
    }

    /** The whole of src quantized into a new matrix in arena, on the calling thread, in pure Java. */
    public static I8Matrix quantize(F16Matrix src, Arena arena) {
        I8Matrix dst = allocate(arena, src.rows(), src.cols());
        quantizeRows(src, dst, 0, src.rows());
        return dst;
    }

    /**
     * Quantizes rows [rowBegin, rowEnd) of src into the same rows of dst, in pure Java (threads may fill
     * disjoint ranges). Throws IllegalArgumentException on a non-finite value before writing that row.
     */
    public static void quantizeRows(F16Matrix src, I8Matrix dst, int rowBegin, int rowEnd) {
        checkPack(src, dst, rowBegin, rowEnd);
        int k = src.cols();
        MemorySegment h = src.data(), q = dst.data();
        for (int m = rowBegin; m < rowEnd; m++) {
            long base = (long) m * k;
            float max = 0f;
            for (int i = 0; i < k; i++) max = Math.max(max, Math.abs(value(h, base + i, m, i)));
            if (max == 0f) { // all-zero row: scale 0, codes 0 (never 0/0)
                q.asSlice(base, k).fill((byte) 0);
                dst.scales().setAtIndex(JAVA_FLOAT_UNALIGNED, m, 0f);
                continue;
            }
            float scale = max / 127f;
            for (int i = 0; i < k; i++) q.set(JAVA_BYTE, base + i, code(Float.float16ToFloat(h.getAtIndex(JAVA_SHORT_UNALIGNED, base + i)), scale));
            dst.scales().setAtIndex(JAVA_FLOAT_UNALIGNED, m, scale);
        }
    }

    /** One code: |a / scale| is at most ~127.00002 here, so the clamp only trims that last rounding step. */
    static byte code(float a, float scale) {
        return (byte) Math.max(-127, Math.min(127, (int) Math.rint(a / scale)));
    }

    static float value(MemorySegment h, long index, int row, int col) {
        short bits = h.getAtIndex(JAVA_SHORT_UNALIGNED, index);
        if ((bits & 0x7c00) == 0x7c00)
            throw new IllegalArgumentException("F16 matrix has a non-finite value at row " + row + ", column " + col
                    + " (bits 0x" + Integer.toHexString(bits & 0xffff) + "): refusing to quantize it");
        return Float.float16ToFloat(bits);
    }

    /** Shapes and range of a packing call (shared with the native path in {@link NativeBackend}). */
    static void checkPack(F16Matrix src, I8Matrix dst, int rowBegin, int rowEnd) {
        if (src.rows() != dst.rows() || src.cols() != dst.cols())
            throw new IllegalArgumentException("F16 matrix is " + src.rows() + "x" + src.cols() + ", I8 matrix " + dst.rows() + "x" + dst.cols());
        if (rowBegin < 0 || rowBegin > rowEnd || rowEnd > src.rows())
            throw new IllegalArgumentException("row range [" + rowBegin + ", " + rowEnd + ") outside [0, " + src.rows() + ")");
    }

    /** Throws IllegalArgumentException naming the first Inf/NaN in rows [rowBegin, rowEnd) of src. */
    static void requireFinite(F16Matrix src, int rowBegin, int rowEnd) {
        int k = src.cols();
        for (int m = rowBegin; m < rowEnd; m++) {
            long base = (long) m * k;
            for (int i = 0; i < k; i++) value(src.data(), base + i, m, i);
        }
    }
}
