package io.bitnet4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The lookup-table kernels of the native library: TL2 (x86 AVX2) and TL1 (ARM NEON) over weights repacked
 * from I2_S at load time. They take the same I8_S activations as {@link NativeBackend#i2sGemm} and give
 * bit-identical results. Every argument is validated here before the native call.
 */
public final class NativeLut {
    private NativeLut() {}

    /** True if this CPU runs a SIMD kernel for the layout ("tl1" or "tl2"); the scalar one always exists. */
    public static boolean supported(String layout) {
        return NativeKernels.b4j_lut_supported(LutMatrix.layoutId(layout)) != 0;
    }

    /** True if the layout has a kernel for the named ISA: scalar for both, avx2 for tl2, neon / neon-dotprod for tl1. */
    static boolean runs(String layout, String isa) {
        int id = LutMatrix.layoutId(layout);
        return isa.equals("scalar") || (id == NativeKernels.LAYOUT_TL2 ? isa.equals("avx2") : isa.equals("neon") || isa.equals("neon-dotprod"));
    }

    /** Repacks an I2_S matrix into the layout, in a 64-byte aligned off-heap segment of {@code arena}. */
    public static LutMatrix pack(TernaryMatrix w, String layout, Arena arena) {
        int id = LutMatrix.layoutId(layout);
        KernelChecks.offHeap("weights", w.data());
        long bytes = LutMatrix.bytes(layout, w.rows(), w.cols());
        long nativeBytes = NativeKernels.b4j_lut_packed_bytes(id, w.rows(), w.cols());
        if (nativeBytes != bytes)
            throw new IllegalStateException("native library sizes " + layout + " as " + nativeBytes + " bytes, Java as " + bytes);
        MemorySegment out = arena.allocate(bytes, 64);
        int status = NativeKernels.b4j_lut_pack(id, w.data().address(), w.rows(), w.cols(), out.address(), 0, w.rows());
        if (status != NativeKernels.OK)
            throw new IllegalArgumentException("cannot repack to " + layout + ": the I2_S data holds the invalid code 3");
        return new LutMatrix(layout, out, w.rows(), w.cols(), w.scale());
    }

    /**
     * y[t*ldy + m] for tokens t < tokens and rows m in [rowBegin, rowEnd), exactly as
     * {@link NativeBackend#i2sGemm}. isaOrNull: null for the best kernel of the layout (the scalar reference
     * if the CPU has none), or "scalar", "avx2" (tl2), "neon" / "neon-dotprod" (tl1).
     */
    public static void gemm(String isaOrNull, LutMatrix w, MemorySegment q, MemorySegment actScale,
            MemorySegment actSum, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        int isa = isaOrNull == null ? NativeKernels.ISA_AUTO : NativeBackend.isaId(isaOrNull);
        int layout = LutMatrix.layoutId(w.layout());
        if (isaOrNull != null && !isaOrNull.equals("scalar")) {
            if (!runs(w.layout(), isaOrNull)) throw new IllegalArgumentException("no " + w.layout() + " kernel for ISA " + isaOrNull);
            if (NativeKernels.b4j_isa_supported(isa) == 0)
                throw new UnsupportedOperationException("ISA " + isaOrNull + " is not supported by this CPU or this build");
        }
        KernelChecks.lutGemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        KernelChecks.offHeap("weights", w.packed()); // one at a time: no array allocated per call
        KernelChecks.offHeap("q", q);
        KernelChecks.offHeap("actScale", actScale);
        KernelChecks.offHeap("actSum", actSum);
        KernelChecks.offHeap("y", y);
        int status = NativeKernels.b4j_lut_gemm(isa, layout, w.packed().address(), w.scale(), w.rows(), w.cols(),
                q.address(), actScale.address(), actSum.address(), tokens, y.address(), ldy, rowBegin, rowEnd);
        if (status == NativeKernels.EISA)
            throw new UnsupportedOperationException("ISA " + isaOrNull + " cannot run layout " + w.layout());
        if (status != NativeKernels.OK)
            throw new IllegalStateException("native LUT kernel rejected its arguments (status " + status + "): a bug, Java validation let them through");
    }
}
