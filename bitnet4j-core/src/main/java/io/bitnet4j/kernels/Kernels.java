package io.bitnet4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The matrix operations of a BitNet b1.58 forward pass, implemented by interchangeable backends:
 * {@link NativeBackend} (the C++ library through JavaCPP), {@link VectorKernels} (the Vector API) and
 * {@link JavaKernels} (plain scalar Java, the reference). All segments are off-heap; every call validates
 * its arguments with {@link KernelChecks} before reading or writing anything.
 *
 * <p>Work is split by output rows: a caller with several threads calls each operation once per thread, with
 * disjoint row ranges {@code [rowBegin, rowEnd)}. Implementations are stateless and thread-safe.
 */
public interface Kernels {

    /** Backend name: "native", "vector" or "java". */
    String name();

    /** What actually runs, e.g. "native avx2" or "vector 256-bit": printed so that a slow path is never silent. */
    String describe();

    /** The ternary kernel {@link #ternaryGemm} runs, e.g. "i2s" or "tl2 on avx2". */
    default String ternaryKernel() {
        return "i2s";
    }

    /**
     * The weights in the layout this backend's ternary kernel reads: {@code w} itself for I2_S, else a copy
     * repacked into {@code arena}. Thread-safe: a model prepares its matrices on several threads.
     */
    default TernaryWeights prepare(TernaryMatrix w, Arena arena) {
        return w;
    }

    /**
     * The ternary GEMM over weights from {@link #prepare}: the contract of {@link #i2sGemm}, bit-identical
     * results whatever the layout. The one route every ternary product of a forward pass takes.
     */
    default void ternaryGemm(TernaryWeights w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        if (!(w instanceof TernaryMatrix m)) throw wrongLayout(w);
        i2sGemm(m, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    /** The error for weights prepared by another backend or kernel. */
    default IllegalArgumentException wrongLayout(TernaryWeights w) {
        return new IllegalArgumentException(w.getClass().getSimpleName() + " weights reach the " + ternaryKernel()
                + " kernel of " + describe() + ": prepare them with the backend that multiplies them");
    }

    /**
     * Runs the backend's int8 multiply-accumulate ceiling loop on the calling thread, {@code rounds} rounds of
     * register-only multiply-adds with the instruction its ternary GEMM is built from, and returns the MACs done;
     * timed, that is the most int8 work per second any of its GEMMs can do on one thread. 0 when the backend has no
     * such loop (the Java backends: the JIT decides their instructions).
     */
    default long int8MacLoop(long rounds) {
        return 0;
    }

    /**
     * I8_S per-token quantization of {@code rows} rows of {@code n} floats (row r at float index r*n of x):
     * s = (float)(127 / max(1e-5, max|x|)) (max in double), q = clamp(rint(x*s), -128, 127), sum = sum of q.
     * Writes rows*n bytes to q, rows floats to scale and rows ints to sum.
     */
    void quantizeI8s(MemorySegment x, int n, int rows, MemorySegment q, MemorySegment scale, MemorySegment sum);

    /**
     * Ternary GEMM: for tokens t &lt; tokens and rows m in [rowBegin, rowEnd),
     * y[t*ldy + m] = (((float) dot - (float) sum[t]) / scale[t]) * w.scale(), dot = sum_k code(m,k) * q[t*K + k].
     */
    void i2sGemm(TernaryMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd);

    /**
     * F16 GEMM with float accumulation: y[t*ldy + m] = sum_k w[m][k] * x[t*K + k], with x already F16.
     * Summation order is the backend's own: results match the reference to float rounding.
     */
    void f16Gemm(F16Matrix w, MemorySegment x, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd);

    /**
     * Row-quantized int8 GEMM (the quantized output projection): for t &lt; tokens and m in [rowBegin, rowEnd),
     * dot = sum_k w.data[m*K + k] * q[t*K + k] (exact int), y[t*ldy + m] = ((float) dot / actScale[t]) * w.scales[m].
     * q and actScale are I8_S activations from {@link #quantizeI8s} (their sums are not needed). Bit-exact on
     * every backend.
     */
    void i8Gemm(I8Matrix w, MemorySegment q, MemorySegment actScale, int tokens, MemorySegment y, int ldy,
            int rowBegin, int rowEnd);

    /**
     * Row-quantized 4-bit GEMM (the smallest output projection, a ranking pass): for t &lt; tokens and m in
     * [rowBegin, rowEnd), dot = sum_k code(m, k) * q[t*K + k] (exact int; code as {@link Q4Matrix} stores it),
     * y[t*ldy + m] = ((float) dot / actScale[t]) * w.scales[m]. q, actScale and actSum (sum of each token's q) are
     * I8_S activations from {@link #quantizeI8s}: kernels may compute the dot as sum (code+8)*q - 8*actSum.
     * Bit-exact on every backend.
     */
    void q4Gemm(Q4Matrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd);
}
