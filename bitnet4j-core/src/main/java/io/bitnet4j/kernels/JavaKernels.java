package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/** Plain scalar Java: the readable definition of every operation, and the baseline the other backends beat. */
public final class JavaKernels implements Kernels {

    @Override
    public String name() {
        return "java";
    }

    @Override
    public String describe() {
        return "java scalar";
    }

    @Override
    public void quantizeI8s(MemorySegment x, int n, int rows, MemorySegment q, MemorySegment scale, MemorySegment sum) {
        KernelChecks.quantize(x, n, rows, q, scale, sum);
        for (int r = 0; r < rows; r++) {
            long base = (long) r * n;
            double max = 1e-5;
            for (int i = 0; i < n; i++) max = Math.max(max, Math.abs((double) x.getAtIndex(JAVA_FLOAT_UNALIGNED, base + i)));
            float s = (float) (127.0 / max);
            int acc = 0;
            for (int i = 0; i < n; i++) {
                int v = quantize(x.getAtIndex(JAVA_FLOAT_UNALIGNED, base + i), s);
                q.set(JAVA_BYTE, base + i, (byte) v);
                acc += v;
            }
            scale.setAtIndex(JAVA_FLOAT_UNALIGNED, r, s);
            sum.setAtIndex(JAVA_INT_UNALIGNED, r, acc);
        }
    }

    /** round half to even, then clamp to int8: ggml's nearest_int for the values that can occur. */
    static int quantize(float v, float s) {
        int i = (int) Math.rint(v * s);
        return Math.max(-128, Math.min(127, i));
    }

    /** The epilogue, in bitnet.cpp's order: two float roundings after an exact integer dot. */
    static float epilogue(int dot, int actSum, float actScale, float wScale) {
        return (((float) dot - (float) actSum) / actScale) * wScale;
    }

    /** Code (weight + 1) of element k of a row starting at byte rowStart. */
    static int code(MemorySegment w, long rowStart, int k) {
        int block = k / TernaryMatrix.BLOCK, in = k % TernaryMatrix.BLOCK;
        int b = w.get(JAVA_BYTE, rowStart + (long) block * TernaryMatrix.BLOCK_BYTES + (in % 32)) & 0xff;
        return (b >>> (6 - 2 * (in / 32))) & 3;
    }

    @Override
    public void i2sGemm(TernaryMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.i2sGemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        int k = w.cols();
        for (int t = 0; t < tokens; t++) {
            long qBase = (long) t * k;
            int sum = actSum.getAtIndex(JAVA_INT_UNALIGNED, t);
            float s = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
            for (int m = rowBegin; m < rowEnd; m++) {
                long rowStart = m * w.rowBytes();
                int dot = 0;
                for (int i = 0; i < k; i++) dot += code(w.data(), rowStart, i) * q.get(JAVA_BYTE, qBase + i);
                y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, epilogue(dot, sum, s, w.scale()));
            }
        }
    }

    /** The I8 epilogue: an exact dot, then two float roundings in this order (no zero point: symmetric codes). */
    static float i8Epilogue(int dot, float actScale, float wScale) {
        return ((float) dot / actScale) * wScale;
    }

    @Override
    public void i8Gemm(I8Matrix w, MemorySegment q, MemorySegment actScale, int tokens, MemorySegment y, int ldy,
            int rowBegin, int rowEnd) {
        KernelChecks.i8Gemm(w, q, actScale, tokens, y, ldy, rowBegin, rowEnd);
        int k = w.cols();
        for (int t = 0; t < tokens; t++) {
            long qBase = (long) t * k;
            float s = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
            for (int m = rowBegin; m < rowEnd; m++) {
                long rowBase = (long) m * k;
                int dot = 0;
                for (int i = 0; i < k; i++) dot += w.data().get(JAVA_BYTE, rowBase + i) * q.get(JAVA_BYTE, qBase + i);
                float ws = w.scales().getAtIndex(JAVA_FLOAT_UNALIGNED, m);
                y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, i8Epilogue(dot, s, ws));
            }
        }
    }

    @Override
    public void q4Gemm(Q4Matrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.q4Gemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        int k = w.cols();
        for (int t = 0; t < tokens; t++) {
            long qBase = (long) t * k;
            float s = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
            for (int m = rowBegin; m < rowEnd; m++) {
                int dot = 0;
                for (int i = 0; i < k; i++) dot += Q4Matrix.code(w.data(), m, k, i) * q.get(JAVA_BYTE, qBase + i);
                float ws = w.scales().getAtIndex(JAVA_FLOAT_UNALIGNED, m);
                y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, i8Epilogue(dot, s, ws));
            }
        }
    }

    @Override
    public void f16Gemm(F16Matrix w, MemorySegment x, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.f16Gemm(w, x, tokens, y, ldy, rowBegin, rowEnd);
        int k = w.cols();
        for (int t = 0; t < tokens; t++) {
            long xBase = (long) t * k;
            for (int m = rowBegin; m < rowEnd; m++) {
                long rowBase = (long) m * k;
                float acc = 0;
                for (int i = 0; i < k; i++)
                    acc += Float.float16ToFloat(w.data().getAtIndex(JAVA_SHORT_UNALIGNED, rowBase + i))
                            * Float.float16ToFloat(x.getAtIndex(JAVA_SHORT_UNALIGNED, xBase + i));
                y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, acc);
            }
        }
    }
}
