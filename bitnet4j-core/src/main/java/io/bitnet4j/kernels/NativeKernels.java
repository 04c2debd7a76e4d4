package io.bitnet4j.kernels;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of {@code include/bitnet4j/bitnet4j.h}: one native call per matrix operation.
 *
 * <p>Pointers travel as raw addresses ({@code long}) of off-heap {@link java.lang.foreign.MemorySegment}s.
 * Nothing here checks them: call through {@link NativeBackend}, which validates every address and length
 * against the segment that owns it before the call.
 */
@NoException
@Platform(include = "bitnet4j/bitnet4j.h", link = "bitnet4j")
final class NativeKernels {
    static {
        Loader.load();
    }

    private NativeKernels() {}

    /** B4J_ISA_AUTO. The ISAs themselves are ids 0 .. b4j_isa_count() - 1, named by b4j_isa_name. */
    static final int ISA_AUTO = -1;
    static final int OK = 0, EBADARG = -1, EISA = -2;

    static native @Cast("const char*") String b4j_version();

    static native int b4j_isa_count();

    static native int b4j_isa_supported(int isa);

    static native @Cast("const char*") String b4j_isa_name(int isa);

    static native int b4j_isa_best();

    static native int b4j_isa_active();

    static native int b4j_isa_select(int isa);

    static native long b4j_int8_mac_loop(int isa, long rounds);

    static native int b4j_quantize_i8s(int isa, @Cast("const float*") long x, long n, long rows,
            @Cast("int8_t*") long q, @Cast("float*") long scale, @Cast("int32_t*") long sum);

    static native int b4j_i2s_gemm(int isa, @Cast("const uint8_t*") long w, float wScale, long rows, long cols,
            @Cast("const int8_t*") long q, @Cast("const float*") long actScale, @Cast("const int32_t*") long actSum,
            long tokens, @Cast("float*") long y, long ldy, long rowBegin, long rowEnd);

    static native int b4j_f16_gemm(int isa, @Cast("const uint16_t*") long w, long rows, long cols,
            @Cast("const uint16_t*") long x, long tokens, @Cast("float*") long y, long ldy, long rowBegin, long rowEnd);

    static native int b4j_i8_quantize_rows(@Cast("const uint16_t*") long f16, long rows, long cols,
            @Cast("int8_t*") long q, @Cast("float*") long scales, long rowBegin, long rowEnd);

    static native int b4j_i8_gemm(int isa, @Cast("const int8_t*") long w, @Cast("const float*") long wScales,
            long rows, long cols, @Cast("const int8_t*") long q, @Cast("const float*") long actScale, long tokens,
            @Cast("float*") long y, long ldy, long rowBegin, long rowEnd);

    static native int b4j_q4_quantize_rows(@Cast("const uint16_t*") long f16, long rows, long cols,
            @Cast("uint8_t*") long q, @Cast("float*") long scales, long rowBegin, long rowEnd);

    static native int b4j_q4_gemm(int isa, @Cast("const uint8_t*") long w, @Cast("const float*") long wScales,
            long rows, long cols, @Cast("const int8_t*") long q, @Cast("const float*") long actScale,
            @Cast("const int32_t*") long actSum, long tokens, @Cast("float*") long y, long ldy, long rowBegin,
            long rowEnd);

    static native int b4j_f16_to_f32(@Cast("const uint16_t*") long src, @Cast("float*") long dst, long n);

    static native int b4j_f32_to_f16(@Cast("const float*") long src, @Cast("uint16_t*") long dst, long n);

    static final int LAYOUT_TL1 = 1, LAYOUT_TL2 = 2, LUT_TILE = 32;

    static native int b4j_lut_supported(int layout);

    static native long b4j_lut_packed_bytes(int layout, long rows, long cols);

    static native int b4j_lut_pack(int layout, @Cast("const uint8_t*") long i2s, long rows, long cols,
            @Cast("uint8_t*") long out, long rowBegin, long rowEnd);

    static native int b4j_lut_gemm(int isa, int layout, @Cast("const uint8_t*") long packed, float wScale, long rows,
            long cols, @Cast("const int8_t*") long q, @Cast("const float*") long actScale,
            @Cast("const int32_t*") long actSum, long tokens, @Cast("float*") long y, long ldy, long rowBegin,
            long rowEnd);
}
