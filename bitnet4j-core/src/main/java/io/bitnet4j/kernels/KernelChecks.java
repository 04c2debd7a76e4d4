package io.bitnet4j.kernels;

import java.lang.foreign.MemorySegment;

/** Argument validation shared by every backend: native code only ever sees bounds checked here. */
public final class KernelChecks {
    private KernelChecks() {}

    static void quantize(MemorySegment x, int n, int rows, MemorySegment q, MemorySegment scale, MemorySegment sum) {
        positive("n", n);
        nonNegative("rows", rows);
        fits("x", x, (long) n * rows * Float.BYTES);
        fits("q", q, (long) n * rows);
        fits("scale", scale, (long) rows * Float.BYTES);
        fits("sum", sum, (long) rows * Integer.BYTES);
    }

    static void i2sGemm(TernaryMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        ternaryGemm(w.rows(), w.cols(), q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    static void lutGemm(LutMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        ternaryGemm(w.rows(), w.cols(), q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    static void vectorLutGemm(VectorLutMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum,
            int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        ternaryGemm(w.rows(), w.cols(), q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    /** Any ternary matrix layout: I8_S activations of `cols` per token in, rows x tokens floats out. */
    private static void ternaryGemm(int wRows, int wCols, MemorySegment q, MemorySegment actScale, MemorySegment actSum,
            int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        nonNegative("tokens", tokens);
        rows(wRows, ldy, rowBegin, rowEnd);
        fits("q", q, (long) tokens * wCols);
        fits("actScale", actScale, (long) tokens * Float.BYTES);
        fits("actSum", actSum, (long) tokens * Integer.BYTES);
        output(y, tokens, ldy, rowEnd);
    }

    static void f16Gemm(F16Matrix w, MemorySegment x, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        nonNegative("tokens", tokens);
        rows(w.rows(), ldy, rowBegin, rowEnd);
        fits("x", x, 2L * tokens * w.cols());
        output(y, tokens, ldy, rowEnd);
    }

    static void i8Gemm(I8Matrix w, MemorySegment q, MemorySegment actScale, int tokens, MemorySegment y, int ldy,
            int rowBegin, int rowEnd) {
        nonNegative("tokens", tokens);
        rows(w.rows(), ldy, rowBegin, rowEnd);
        fits("q", q, (long) tokens * w.cols());
        fits("actScale", actScale, (long) tokens * Float.BYTES);
        output(y, tokens, ldy, rowEnd);
    }

    static void q4Gemm(Q4Matrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        nonNegative("tokens", tokens);
        rows(w.rows(), ldy, rowBegin, rowEnd);
        fits("q", q, (long) tokens * w.cols());
        fits("actScale", actScale, (long) tokens * Float.BYTES);
        fits("actSum", actSum, (long) tokens * Integer.BYTES);
        output(y, tokens, ldy, rowEnd);
    }

    private static void rows(int m, int ldy, int rowBegin, int rowEnd) {
        if (rowBegin < 0 || rowBegin > rowEnd || rowEnd > m)
            throw new IllegalArgumentException("row range [" + rowBegin + ", " + rowEnd + ") outside [0, " + m + ")");
        if (ldy < m) throw new IllegalArgumentException("ldy " + ldy + " < rows " + m);
    }

    private static void output(MemorySegment y, int tokens, int ldy, int rowEnd) {
        if (tokens > 0) fits("y", y, ((long) (tokens - 1) * ldy + rowEnd) * Float.BYTES);
    }

    private static void positive(String what, long v) {
        if (v <= 0) throw new IllegalArgumentException(what + " must be positive, got " + v);
    }

    private static void nonNegative(String what, long v) {
        if (v < 0) throw new IllegalArgumentException(what + " must not be negative, got " + v);
    }

    private static void fits(String what, MemorySegment s, long bytes) {
        if (s == null) throw new NullPointerException(what);
        if (s.byteSize() < bytes)
            throw new IndexOutOfBoundsException(what + " holds " + s.byteSize() + " bytes, the operation needs " + bytes);
    }

    static void offHeap(String what, MemorySegment s) {
        if (!s.isNative()) throw new IllegalArgumentException(what + " must be an off-heap segment for native kernels");
    }
}
