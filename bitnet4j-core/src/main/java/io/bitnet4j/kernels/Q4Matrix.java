package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A row-quantized 4-bit matrix: the smallest optional copy of the tied output projection (a quarter of the F16
 * bytes). It only ranks the vocabulary: the model rescores the best candidates exactly from the F16 rows, so the
 * greedy token stays the F16 path's while a decode step reads 0.49 GB less.
 *
 * <p>Codes c in [-7, 7] are stored as nibbles c + 8, two per byte; row m starts at byte m*cols/2. Within each
 * group of 64 elements (32 bytes) byte j holds element j in its low nibble and element 32 + j in its high
 * nibble, so a 32-byte load splits into two runs of 32 consecutive elements with one shift and two masks.
 * Made from an {@link F16Matrix} by per-row absmax ({@link #quantizeRows}), bit-identical to the native
 * {@code b4j_q4_quantize_rows}: a = the F16 value as float; max = max|a|; scale = max / 7f; a row with max 0 gets
 * scale 0 and codes 0; otherwise c = clamp(rint(a / scale), -7, 7), the division in float, rint half to even.
 *
 * @param data   exactly rows*cols/2 bytes
 * @param scales exactly rows floats
 * @param rows   M, the output dimension
 * @param cols   K, the input dimension: a multiple of {@link #GROUP}, at most {@link I8Matrix#MAX_COLS}
 */
public record Q4Matrix(MemorySegment data, MemorySegment scales, int rows, int cols) {

    /** Elements per nibble group: 32 bytes. */
    public static final int GROUP = 64;

    public Q4Matrix {
        checkShape(rows, cols);
        if (data.byteSize() != (long) rows * cols / 2)
            throw new IllegalArgumentException("Q4 data is " + data.byteSize() + " bytes, expected " + (long) rows * cols / 2);
        if (scales.byteSize() != 4L * rows)
            throw new IllegalArgumentException("Q4 scales are " + scales.byteSize() + " bytes, expected " + 4L * rows);
    }

    private static void checkShape(int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("Q4 matrix needs positive shape, got " + rows + "x" + cols);
        if (cols % GROUP != 0) throw new IllegalArgumentException("Q4 input dimension " + cols + " is not a multiple of " + GROUP);
        if (cols > I8Matrix.MAX_COLS) throw new IllegalArgumentException("Q4 input dimension " + cols + " exceeds " + I8Matrix.MAX_COLS + " (int32 dot bound)");
    }

    /** A zeroed matrix in arena, to be filled by {@link #quantizeRows} (possibly by several threads). */
    public static Q4Matrix allocate(Arena arena, int rows, int cols) {
        checkShape(rows, cols);
        return new Q4Matrix(arena.allocate((long) rows * cols / 2, 64), arena.allocate(4L * rows, 64), rows, cols);
    }

    /** The whole of src quantized into a new matrix in arena, on the calling thread, in pure Java. */
    public static Q4Matrix quantize(F16Matrix src, Arena arena) {
        Q4Matrix dst = allocate(arena, src.rows(), src.cols());
        quantizeRows(src, dst, 0, src.rows());
        return dst;
    }

    /**
     * Quantizes rows [rowBegin, rowEnd) of src into the same rows of dst, in pure Java (threads may fill
     * disjoint ranges). Throws IllegalArgumentException on a non-finite value before writing that row.
     */
    public static void quantizeRows(F16Matrix src, Q4Matrix dst, int rowBegin, int rowEnd) {
        checkPack(src, dst, rowBegin, rowEnd);
        int k = src.cols();
        MemorySegment h = src.data(), q = dst.data();
        for (int m = rowBegin; m < rowEnd; m++) {
            long base = (long) m * k;
            float max = 0f;
            for (int i = 0; i < k; i++) max = Math.max(max, Math.abs(I8Matrix.value(h, base + i, m, i)));
            float scale = max / 7f;
            for (int i = 0; i < k; i++) {
                int c = max == 0f ? 0 : code(Float.float16ToFloat(h.getAtIndex(JAVA_SHORT_UNALIGNED, base + i)), scale);
                setCode(q, m, k, i, c);
            }
            dst.scales().setAtIndex(JAVA_FLOAT_UNALIGNED, m, scale);
        }
    }

    /** One code: |a / scale| is at most ~7.000001 here, so the clamp only trims that last rounding step. */
    static int code(float a, float scale) {
        return Math.max(-7, Math.min(7, (int) Math.rint(a / scale)));
    }

    /** Byte offset and nibble of element i of row m (see the class comment for the layout). */
    static long byteOf(int m, int k, int i) {
        return (long) m * (k / 2) + (i / GROUP) * (GROUP / 2) + (i % (GROUP / 2));
    }

    static boolean highNibble(int i) {
        return i % GROUP >= GROUP / 2;
    }

    /** The code of element i of row m: nibble - 8, in [-8, 7] (the quantizer only writes [-7, 7]). */
    public static int code(MemorySegment data, int m, int k, int i) {
        int b = data.get(JAVA_BYTE, byteOf(m, k, i)) & 0xff;
        return (highNibble(i) ? b >>> 4 : b & 0x0f) - 8;
    }

    private static void setCode(MemorySegment data, int m, int k, int i, int c) {
        long at = byteOf(m, k, i);
        int b = data.get(JAVA_BYTE, at) & 0xff, nibble = c + 8;
        b = highNibble(i) ? (b & 0x0f) | nibble << 4 : (b & 0xf0) | nibble;
        data.set(JAVA_BYTE, at, (byte) b);
    }

    /** Shapes and range of a packing call (shared with the native path in {@link NativeBackend}). */
    static void checkPack(F16Matrix src, Q4Matrix dst, int rowBegin, int rowEnd) {
        if (src.rows() != dst.rows() || src.cols() != dst.cols())
            throw new IllegalArgumentException("F16 matrix is " + src.rows() + "x" + src.cols() + ", Q4 matrix " + dst.rows() + "x" + dst.cols());
        if (rowBegin < 0 || rowBegin > rowEnd || rowEnd > src.rows())
            throw new IllegalArgumentException("row range [" + rowBegin + ", " + rowEnd + ") outside [0, " + src.rows() + ")");
    }
}
