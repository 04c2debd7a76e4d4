package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the Vector API ({@code jdk.incubator.vector}), for any vector width: 128, 256 or 512 bits,
 * chosen by the constructor, the system property {@code bitnet4j.vector.bits}, or the CPU's preferred shape.
 *
 * <p>quantizeI8s, i2sGemm, i8Gemm and q4Gemm are bit-exact with {@link JavaKernels}; f16Gemm sums in its own order.
 *
 * <h2>Why the species live in subclasses</h2>
 * C2 only turns Vector API calls into SIMD instructions when the species is a compile-time constant. A species
 * held in an instance field is not one, so every width is a tiny subclass of {@link Impl} whose accessors
 * return {@code static final} species; a process normally loads one width only, so the virtual accessors are
 * inlined (class hierarchy analysis) and constant-folded. Other widths still compute the right answer when
 * several are loaded (as in the tests), only slower.
 *
 * <h2>Performance notes (Zen 3, AVX2, 256-bit, one thread, CPU time per op on a loaded machine)</h2>
 * <ul>
 *   <li>i2sGemm T=1 runs at about 5.5-6 GB/s of packed weights (2560x2560 in ~280 us; scalar Java ~36 ms).
 *       It is compute bound (the same GB/s from L2-resident 256x2560 to L3-sized 6912x2560): 4 vector ops
 *       (shift, and, vpmullw, add) per 16 weights, twice native AVX2's maddubs count, because the Vector API
 *       has no unsigned-by-signed byte dot product. 128-bit runs at about 60% of 256-bit.
 *   <li>Four rows per pass (shared activation loads) beat one row by ~7%; two rows measured the same as four
 *       within the noise. Four tokens per pass (codes decoded once) cost ~0.75x per token.
 *   <li>Tried and dropped: extracting the 2-bit fields in pairs (v &amp; 3, v &amp; 0xC with a 4x-scaled second
 *       accumulator: 4 shifts instead of 8) and hand-unrolling the field loop. Both made the methods big
 *       enough that C2 stopped inlining/intrinsifying some Vector API calls: 1.4x (one row) to 20x (four
 *       rows) slower. Keep kernels small.
 *       Disabling the Vector API bounds checks changed nothing measurable; nor did reducing to a scalar every
 *       flush instead of carrying int32 vector accumulators.
 *   <li>f16Gemm: the bit-level F16 conversion plus FMA runs ~4.5x scalar Java (2048x2560 T=1: 1.1 ms vs 5 ms);
 *       converting each weight vector once for four tokens took T=4 from 4.1 to 1.8 ms.
 * </ul>
 */
public final class VectorKernels implements Kernels {

    /** System property forcing the vector width in bits (128, 256 or 512). */
    public static final String BITS_PROPERTY = "bitnet4j.vector.bits";

    private final Impl impl;
    /** Ternary products on lookup tables ({@link VectorLut}) instead of multiply-add over I2_S. */
    private final boolean lookupTables;

    /** Width from {@code bitnet4j.vector.bits}, else the CPU's preferred shape. */
    public VectorKernels() {
        this(defaultBits());
    }

    /** An explicit width: 128, 256 or 512 bits (wider than the hardware runs, correctly but slowly, in Java). */
    public VectorKernels(int bits) {
        this(bits, false);
    }

    /** The default width, with the lookup-table ternary kernel when {@code lookupTables}. */
    public VectorKernels(boolean lookupTables) {
        this(defaultBits(), lookupTables);
    }

    private VectorKernels(int bits, boolean lookupTables) {
        this.lookupTables = lookupTables;
        this.impl = switch (bits) {
            case 128 -> new Impl128();
            case 256 -> new Impl256();
            case 512 -> new Impl512();
            default -> throw new IllegalArgumentException("vector width must be 128, 256 or 512 bits, got " + bits);
        };
    }

    static int defaultBits() {
        String forced = System.getProperty(BITS_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            try {
                return Integer.parseInt(forced.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(BITS_PROPERTY + " must be 128, 256 or 512, got '" + forced + "'");
            }
        }
        // Below 128 bits (no SIMD at all) we still run the 128-bit code: correct, in the Java fallback.
        return Math.max(128, Math.min(512, VectorShape.preferredShape().vectorBitSize()));
    }

    /** The vector width in bits. */
    public int bits() {
        return impl.bits();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String describe() {
        int bits = bits();
        String hw = bits > VectorShape.preferredShape().vectorBitSize() ? ", wider than the CPU: emulated, slow" : "";
        return "vector " + bits + "-bit (ByteVector " + bits / 8 + " lanes" + hw + ")";
    }

    @Override
    public String ternaryKernel() {
        return lookupTables ? "vector-lut" : "i2s";
    }

    @Override
    public TernaryWeights prepare(TernaryMatrix w, java.lang.foreign.Arena arena) {
        return lookupTables ? VectorLut.pack(w, bits(), arena) : w;
    }

    @Override
    public void ternaryGemm(TernaryWeights w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        switch (w) {
            case TernaryMatrix m when !lookupTables -> i2sGemm(m, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
            case VectorLutMatrix m when lookupTables -> VectorLut.gemm(m, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
            default -> throw wrongLayout(w);
        }
    }

    @Override
    public void quantizeI8s(MemorySegment x, int n, int rows, MemorySegment q, MemorySegment scale, MemorySegment sum) {
        KernelChecks.quantize(x, n, rows, q, scale, sum);
        for (int r = 0; r < rows; r++) impl.quantizeRow(x, (long) r * n, n, q, scale, sum, r);
    }

    @Override
    public void i2sGemm(TernaryMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.i2sGemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        if (tokens == 0 || rowBegin == rowEnd) return;
        impl.i2sGemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    @Override
    public void f16Gemm(F16Matrix w, MemorySegment x, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.f16Gemm(w, x, tokens, y, ldy, rowBegin, rowEnd);
        if (tokens == 0 || rowBegin == rowEnd) return;
        impl.f16Gemm(w, x, tokens, y, ldy, rowBegin, rowEnd);
    }

    @Override
    public void i8Gemm(I8Matrix w, MemorySegment q, MemorySegment actScale, int tokens, MemorySegment y, int ldy,
            int rowBegin, int rowEnd) {
        KernelChecks.i8Gemm(w, q, actScale, tokens, y, ldy, rowBegin, rowEnd);
        if (tokens == 0 || rowBegin == rowEnd) return;
        impl.i8Gemm(w, q, actScale, tokens, y, ldy, rowBegin, rowEnd);
    }

    @Override
    public void q4Gemm(Q4Matrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.q4Gemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        if (tokens == 0 || rowBegin == rowEnd) return;
        impl.q4Gemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    private static final class Impl128 extends Impl {
        static final VectorSpecies<Short> S = ShortVector.SPECIES_128, HALF_S = ShortVector.SPECIES_64;
        static final VectorSpecies<Integer> I = IntVector.SPECIES_128;
        static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;

        @Override VectorSpecies<Short> shorts() { return S; }
        @Override VectorSpecies<Short> halfShorts() { return HALF_S; }
        @Override VectorSpecies<Integer> ints() { return I; }
        @Override VectorSpecies<Float> floats() { return F; }
        @Override VectorSpecies<Byte> bytes() { return B; }
    }

    private static final class Impl256 extends Impl {
        static final VectorSpecies<Short> S = ShortVector.SPECIES_256, HALF_S = ShortVector.SPECIES_128;
        static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;

        @Override VectorSpecies<Short> shorts() { return S; }
        @Override VectorSpecies<Short> halfShorts() { return HALF_S; }
        @Override VectorSpecies<Integer> ints() { return I; }
        @Override VectorSpecies<Float> floats() { return F; }
        @Override VectorSpecies<Byte> bytes() { return B; }
    }

    private static final class Impl512 extends Impl {
        static final VectorSpecies<Short> S = ShortVector.SPECIES_512, HALF_S = ShortVector.SPECIES_256;
        static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
        static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;

        @Override VectorSpecies<Short> shorts() { return S; }
        @Override VectorSpecies<Short> halfShorts() { return HALF_S; }
        @Override VectorSpecies<Integer> ints() { return I; }
        @Override VectorSpecies<Float> floats() { return F; }
        @Override VectorSpecies<Byte> bytes() { return B; }
    }

    /**
     * The width-generic kernels. Every species has the same bit size except {@link #halfShorts()}, which holds
     * one F16 per float lane.
     */
    abstract static sealed class Impl permits Impl128, Impl256, Impl512 {
        private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

        /** 1.5 * 2^23: adding and subtracting it rounds a float to an integer, half to even, for |v| &lt; 2^22. */
        private static final float ROUNDER = 12582912.0f;

        /**
         * Ternary chunks accumulated in int16 lanes before widening to int32. Per chunk a lane gains 8 products
         * |code * q| &lt;= 3 * 128 (code 3 is corrupt, but the reference multiplies it, so we stay exact for it
         * too): 8 chunks make at most 24576 &lt; 32767.
         */
        private static final int FLUSH = 8;

        abstract VectorSpecies<Short> shorts();

        abstract VectorSpecies<Short> halfShorts();

        abstract VectorSpecies<Integer> ints();

        abstract VectorSpecies<Float> floats();

        abstract VectorSpecies<Byte> bytes();

        final int bits() {
            return shorts().vectorBitSize();
        }

        // ---------------------------------------------------------------------------------------------------
        // I8_S quantization

        final void quantizeRow(MemorySegment x, long base, int n, MemorySegment q, MemorySegment scale,
                MemorySegment sum, int r) {
            VectorSpecies<Float> fs = floats();
            int fl = fs.length();
            long xOff = base * Float.BYTES;
            // max |x| in float lanes: float -> double is exact and monotone, so the float max converted to
            // double is the reference's double max.
            FloatVector vmax = FloatVector.zero(fs);
            int i = 0;
            for (int bound = fs.loopBound(n); i < bound; i += fl)
                vmax = vmax.max(FloatVector.fromMemorySegment(fs, x, xOff + (long) i * Float.BYTES, LE).abs());
            float maxf = vmax.reduceLanes(VectorOperators.MAX);
            for (; i < n; i++) maxf = Math.max(maxf, Math.abs(x.getAtIndex(JAVA_FLOAT_UNALIGNED, base + i)));
            float s = (float) (127.0 / Math.max(1e-5, (double) maxf));

            // Four float vectors make one byte vector of the same width: each is rounded, clamped, converted
            // to int and narrowed into its quarter of the byte lanes.
            VectorSpecies<Byte> bs = bytes();
            IntVector acc = IntVector.zero(ints());
            i = 0;
            for (int bound = n - n % bs.length(); i < bound; i += bs.length()) {
                long off = xOff + (long) i * Float.BYTES;
                IntVector q0 = round(FloatVector.fromMemorySegment(fs, x, off, LE), s);
                IntVector q1 = round(FloatVector.fromMemorySegment(fs, x, off + (long) fl * Float.BYTES, LE), s);
                IntVector q2 = round(FloatVector.fromMemorySegment(fs, x, off + 2L * fl * Float.BYTES, LE), s);
                IntVector q3 = round(FloatVector.fromMemorySegment(fs, x, off + 3L * fl * Float.BYTES, LE), s);
                acc = acc.add(q0).add(q1).add(q2).add(q3);
                ByteVector b = ((ByteVector) q0.convertShape(VectorOperators.I2B, bs, 0))
                        .or((ByteVector) q1.convertShape(VectorOperators.I2B, bs, -1))
                        .or((ByteVector) q2.convertShape(VectorOperators.I2B, bs, -2))
                        .or((ByteVector) q3.convertShape(VectorOperators.I2B, bs, -3));
                b.intoMemorySegment(q, base + i, LE);
            }
            int total = acc.reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) {
                int v = JavaKernels.quantize(x.getAtIndex(JAVA_FLOAT_UNALIGNED, base + i), s);
                q.set(JAVA_BYTE, base + i, (byte) v);
                total += v;
            }
            scale.setAtIndex(JAVA_FLOAT_UNALIGNED, r, s);
            sum.setAtIndex(JAVA_INT_UNALIGNED, r, total);
        }

        /** clamp(rint(v * s), -128, 127) per lane, as ints. NaN stays NaN through the clamp and converts to 0. */
        private IntVector round(FloatVector v, float s) {
            FloatVector p = v.mul(s);
            FloatVector r = p.add(ROUNDER).sub(ROUNDER);
            // |p| >= 2^22 is only possible for non-finite or absurd inputs; the clamp makes them agree anyway.
            r = r.max(-128f).min(127f);
            return (IntVector) r.convert(VectorOperators.F2I, 0);
        }

        // ---------------------------------------------------------------------------------------------------
        // I2_S ternary GEMM

        /*
         * Layout trick. A row's packed bytes are read as int16 lanes ("chunks" of one vector, VB bytes). Lane j
         * of a chunk holds packed bytes 2j (low half) and 2j+1 (high half). For the code group g (bits 7-2g..6-2g
         * of every byte, elements 32g + byte within the 128-block):
         *   (lane >>> (6 - 2g)) & 3        = code of the even byte,
         *   (lane >>> (14 - 2g)) & 3       = code of the odd byte,
         * already widened to int16, so one multiply by int16 activations (vpmullw) gives exact products with no
         * byte shifts (x86 has none) and no unsigned-by-signed byte multiply (the Vector API has no maddubs).
         * The activations are therefore rearranged once per call into the same order: for every chunk, 8 vectors
         * (group g, parity p) of int16 activations. That costs O(K) per token and is shared by all M rows.
         */

        final void i2sGemm(TernaryMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum,
                int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
            int k = w.cols();
            int vb = shorts().vectorByteSize();
            long rowBytes = w.rowBytes();
            int chunks = (int) (rowBytes / vb);
            // Only at 512 bits can a row end in half a vector (an odd number of 128-blocks): that block runs
            // in scalar code from the natural activation order.
            int vecElems = chunks * vb * 4;
            Scratch scratch = SCRATCH.get();
            short[] qp = permuteActivations(q, tokens, k, chunks, vb, scratch);
            int[] sums = scratch.ints(tokens);
            float[] scales = scratch.floats(tokens);
            for (int t = 0; t < tokens; t++) {
                sums[t] = actSum.getAtIndex(JAVA_INT_UNALIGNED, t);
                scales[t] = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
            }
            MemorySegment data = w.data();
            float ws = w.scale();
            int[] dots = scratch.dots;

            int t = 0;
            // Four tokens at a time: each code vector is decoded once and used four times.
            for (; t + 4 <= tokens; t += 4) {
                for (int m = rowBegin; m < rowEnd; m++) {
                    dot1x4(data, m * rowBytes, qp, t * vecElems, vecElems, chunks, dots);
                    for (int u = 0; u < 4; u++) {
                        int tt = t + u;
                        int dot = dots[u] + tailDot(data, m * rowBytes, rowBytes, q, (long) tt * k, vecElems);
                        y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) tt * ldy + m, JavaKernels.epilogue(dot, sums[tt], scales[tt], ws));
                    }
                }
            }
            // Remaining tokens one at a time, four rows at a time: four independent weight streams keep several
            // cache-line fetches in flight and share every activation load.
            for (; t < tokens; t++) {
                int qOff = t * vecElems;
                int m = rowBegin;
                for (; m + 4 <= rowEnd; m += 4) {
                    dot4x1(data, m * rowBytes, rowBytes, qp, qOff, chunks, dots);
                    for (int u = 0; u < 4; u++) {
                        int dot = dots[u] + tailDot(data, (m + u) * rowBytes, rowBytes, q, (long) t * k, vecElems);
                        y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m + u, JavaKernels.epilogue(dot, sums[t], scales[t], ws));
                    }
                }
                for (; m < rowEnd; m++) {
                    int dot = dot1x1(data, m * rowBytes, qp, qOff, chunks)
                            + tailDot(data, m * rowBytes, rowBytes, q, (long) t * k, vecElems);
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, JavaKernels.epilogue(dot, sums[t], scales[t], ws));
                }
            }
        }

        /** The int16 activations of every token in chunk order (see the layout note above). */
        private short[] permuteActivations(MemorySegment q, int tokens, int k, int chunks, int vb, Scratch scratch) {
            int lanes = vb / 2, vecElems = chunks * vb * 4;
            short[] qp = scratch.shorts(tokens * vecElems);
            for (int t = 0; t < tokens; t++) {
                long qBase = (long) t * k;
                int out = t * vecElems;
                for (int c = 0; c < chunks; c++) {
                    for (int g = 0; g < 4; g++) {
                        for (int p = 0; p < 2; p++) {
                            for (int j = 0; j < lanes; j++) {
                                int byteInRow = c * vb + 2 * j + p;
                                int element = (byteInRow / TernaryMatrix.BLOCK_BYTES) * TernaryMatrix.BLOCK
                                        + 32 * g + byteInRow % TernaryMatrix.BLOCK_BYTES;
                                qp[out++] = q.get(JAVA_BYTE, qBase + element);
                            }
                        }
                    }
                }
            }
            return qp;
        }

        /** Scalar dot over the row's elements from firstElement on, not covered by whole vectors (512-bit only). */
        private static int tailDot(MemorySegment data, long rowStart, long rowBytes, MemorySegment q,
                long qBase, int firstElement) {
            int dot = 0;
            for (int e = firstElement; e < rowBytes * 4; e++)
                dot += JavaKernels.code(data, rowStart, e) * q.get(JAVA_BYTE, qBase + e);
            return dot;
        }

        /** int16 lanes -> int32: sign-extended low halves plus arithmetic-shifted high halves (pairwise sums). */
        private static IntVector widen(IntVector acc, ShortVector s) {
            IntVector v = s.reinterpretAsInts();
            return acc.add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(v.lanewise(VectorOperators.ASHR, 16));
        }

        private static ShortVector codes(ShortVector w, int shift) {
            return w.lanewise(VectorOperators.LSHR, shift).and((short) 3);
        }

        /** One row, one token. */
        private int dot1x1(MemorySegment data, long rowStart, short[] qp, int qOff, int chunks) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            ShortVector zero = ShortVector.zero(ss);
            IntVector acc = IntVector.zero(ints());
            for (int c0 = 0; c0 < chunks; c0 += FLUSH) {
                ShortVector sacc = zero;
                for (int c = c0, end = Math.min(chunks, c0 + FLUSH); c < end; c++) {
                    ShortVector wv = ShortVector.fromMemorySegment(ss, data, rowStart + (long) c * vb, LE);
                    int qi = qOff + c * 8 * lanes;
                    for (int g = 0; g < 4; g++, qi += 2 * lanes) {
                        int sh = 6 - 2 * g;
                        sacc = sacc.add(codes(wv, sh).mul(ShortVector.fromArray(ss, qp, qi)))
                                .add(codes(wv, sh + 8).mul(ShortVector.fromArray(ss, qp, qi + lanes)));
                    }
                }
                acc = widen(acc, sacc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /** Four consecutive rows, one token. */
        private void dot4x1(MemorySegment data, long row0, long rowBytes, short[] qp, int qOff, int chunks, int[] out) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            ShortVector zero = ShortVector.zero(ss);
            IntVector a0 = IntVector.zero(ints()), a1 = a0, a2 = a0, a3 = a0;
            long r1 = row0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
            for (int c0 = 0; c0 < chunks; c0 += FLUSH) {
                ShortVector s0 = zero, s1 = zero, s2 = zero, s3 = zero;
                for (int c = c0, end = Math.min(chunks, c0 + FLUSH); c < end; c++) {
                    long off = (long) c * vb;
                    ShortVector w0 = ShortVector.fromMemorySegment(ss, data, row0 + off, LE);
                    ShortVector w1 = ShortVector.fromMemorySegment(ss, data, r1 + off, LE);
                    ShortVector w2 = ShortVector.fromMemorySegment(ss, data, r2 + off, LE);
                    ShortVector w3 = ShortVector.fromMemorySegment(ss, data, r3 + off, LE);
                    int qi = qOff + c * 8 * lanes;
                    for (int g = 0; g < 4; g++) {
                        for (int p = 0; p < 2; p++, qi += lanes) {
                            int sh = 6 - 2 * g + 8 * p;
                            ShortVector a = ShortVector.fromArray(ss, qp, qi);
                            s0 = s0.add(codes(w0, sh).mul(a));
                            s1 = s1.add(codes(w1, sh).mul(a));
                            s2 = s2.add(codes(w2, sh).mul(a));
                            s3 = s3.add(codes(w3, sh).mul(a));
                        }
                    }
                }
                a0 = widen(a0, s0);
                a1 = widen(a1, s1);
                a2 = widen(a2, s2);
                a3 = widen(a3, s3);
            }
            out[0] = a0.reduceLanes(VectorOperators.ADD);
            out[1] = a1.reduceLanes(VectorOperators.ADD);
            out[2] = a2.reduceLanes(VectorOperators.ADD);
            out[3] = a3.reduceLanes(VectorOperators.ADD);
        }

        /** One row, four consecutive tokens (activation blocks vecElems apart): codes decoded once. */
        private void dot1x4(MemorySegment data, long rowStart, short[] qp, int qOff, int vecElems, int chunks, int[] out) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            ShortVector zero = ShortVector.zero(ss);
            IntVector a0 = IntVector.zero(ints()), a1 = a0, a2 = a0, a3 = a0;
            for (int c0 = 0; c0 < chunks; c0 += FLUSH) {
                ShortVector s0 = zero, s1 = zero, s2 = zero, s3 = zero;
                for (int c = c0, end = Math.min(chunks, c0 + FLUSH); c < end; c++) {
                    ShortVector wv = ShortVector.fromMemorySegment(ss, data, rowStart + (long) c * vb, LE);
                    int qi = qOff + c * 8 * lanes;
                    for (int g = 0; g < 4; g++) {
                        for (int p = 0; p < 2; p++, qi += lanes) {
                            ShortVector code = codes(wv, 6 - 2 * g + 8 * p);
                            s0 = s0.add(code.mul(ShortVector.fromArray(ss, qp, qi)));
                            s1 = s1.add(code.mul(ShortVector.fromArray(ss, qp, qi + vecElems)));
                            s2 = s2.add(code.mul(ShortVector.fromArray(ss, qp, qi + 2 * vecElems)));
                            s3 = s3.add(code.mul(ShortVector.fromArray(ss, qp, qi + 3 * vecElems)));
                        }
                    }
                }
                a0 = widen(a0, s0);
                a1 = widen(a1, s1);
                a2 = widen(a2, s2);
                a3 = widen(a3, s3);
            }
            out[0] = a0.reduceLanes(VectorOperators.ADD);
            out[1] = a1.reduceLanes(VectorOperators.ADD);
            out[2] = a2.reduceLanes(VectorOperators.ADD);
            out[3] = a3.reduceLanes(VectorOperators.ADD);
        }

        // ---------------------------------------------------------------------------------------------------
        // I8 GEMM
        //
        // No byte dot product in the Vector API, so int16 products: a ShortVector load of weight bytes holds
        // element 2j in the low byte of lane j and 2j+1 in the high byte (little endian). (w << 8) >> 8 and
        // w >> 8 sign-extend them; the activations are split once per call into the matching even/odd int16
        // arrays. |w| <= 127 and |x| <= 128, so lo*x_even + hi*x_odd <= 2 * 16256 = 32512 fits an int16 lane
        // exactly; it is widened to int32 right away (a second pair could overflow). Integer sums, so the
        // result is bit-exact with JavaKernels.i8Gemm whatever the order. The K tail (< one vector) is scalar.

        /** Rows per block for tokens &gt; 1: 32 rows of K = 2560 (80 KiB) stay in L2 while every token passes. */
        private static final int I8_ROW_BLOCK = 32;

        final void i8Gemm(I8Matrix w, MemorySegment q, MemorySegment actScale, int tokens, MemorySegment y, int ldy,
                int rowBegin, int rowEnd) {
            int k = w.cols();
            int vb = shorts().vectorByteSize();
            int chunks = k / vb, vecElems = chunks * vb;
            short[] qp = splitActivations(q, tokens, k, chunks, vb);
            MemorySegment data = w.data(), ws = w.scales();
            int[] dots = new int[4];
            int t4 = tokens & ~3;
            // Four tokens at a time, one row: each weight vector is loaded and split once for four tokens.
            for (int m = rowBegin; m < rowEnd; m++) {
                float ws_m = ws.getAtIndex(JAVA_FLOAT_UNALIGNED, m);
                for (int t = 0; t < t4; t += 4) {
                    i8Dot1x4(data, (long) m * k, qp, t * vecElems, vecElems, chunks, dots);
                    for (int u = 0; u < 4; u++) {
                        int tt = t + u;
                        int dot = dots[u] + i8Tail(data, (long) m * k, q, (long) tt * k, vecElems, k);
                        y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) tt * ldy + m,
                                JavaKernels.i8Epilogue(dot, actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, tt), ws_m));
                    }
                }
            }
            // The remaining tokens (all of them for decode) in row blocks that stay in L2 across tokens.
            for (int m0 = rowBegin; m0 < rowEnd; m0 += I8_ROW_BLOCK) {
                int m1 = Math.min(rowEnd, m0 + I8_ROW_BLOCK);
                for (int t = t4; t < tokens; t++) {
                    float s = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
                    long qBase = (long) t * k;
                    int qOff = t * vecElems;
                    int m = m0;
                    // four rows share every activation load and give four independent chains
                    for (; m + 4 <= m1; m += 4) {
                        i8Dot4(data, (long) m * k, k, qp, qOff, chunks, dots);
                        for (int u = 0; u < 4; u++) {
                            int dot = dots[u] + i8Tail(data, (long) (m + u) * k, q, qBase, vecElems, k);
                            y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m + u,
                                    JavaKernels.i8Epilogue(dot, s, ws.getAtIndex(JAVA_FLOAT_UNALIGNED, m + u)));
                        }
                    }
                    for (; m < m1; m++) {
                        int dot = i8Dot1(data, (long) m * k, qp, qOff, chunks) + i8Tail(data, (long) m * k, q, qBase, vecElems, k);
                        y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m,
                                JavaKernels.i8Epilogue(dot, s, ws.getAtIndex(JAVA_FLOAT_UNALIGNED, m)));
                    }
                }
            }
        }

        // ---------------------------------------------------------------------------------------------------
        // Q4 GEMM
        //
        // The I2_S trick with 4-bit fields: a ShortVector load of weight bytes holds bytes 2j and 2j+1 in lane
        // j, i.e. four nibbles, extracted as (lane >>> 4f) & 15 for f = 0..3 and multiplied (vpmullw) by int16
        // activations rearranged once per call into the same order. The nibbles are codes + 8, so the dot over
        // the vector part is sum nibble*q - 8 * (sum of those q); |nibble*q| <= 1920, so 16 products fit an
        // int16 lane (4 chunks per flush). Integer sums: bit-exact with JavaKernels.q4Gemm in any order. Rows
        // whose length is not a whole number of vectors (512-bit, odd 32-byte groups) end in scalar code.

        private static final int Q4_FLUSH = 4;

        final void q4Gemm(Q4Matrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
                MemorySegment y, int ldy, int rowBegin, int rowEnd) {
            int k = w.cols(), vb = shorts().vectorByteSize();
            long rowBytes = k / 2;
            int chunks = (int) (rowBytes / vb), vecElems = chunks * vb * 2;
            Scratch scratch = SCRATCH.get();
            int[] vecSums = scratch.ints(tokens);
            short[] qp = q4Activations(q, tokens, k, chunks, vb, vecSums, scratch);
            MemorySegment data = w.data(), ws = w.scales();
            int[] dots = scratch.dots;
            for (int t = 0; t < tokens; t++) {
                float s = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
                int bias = 8 * vecSums[t], qOff = t * vecElems;
                long qBase = (long) t * k;
                int m = rowBegin;
                for (; m + 4 <= rowEnd; m += 4) {
                    q4Dot4(data, m * rowBytes, rowBytes, qp, qOff, chunks, dots);
                    for (int u = 0; u < 4; u++) {
                        int dot = dots[u] - bias + q4Tail(data, m + u, k, q, qBase, vecElems);
                        y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m + u,
                                JavaKernels.i8Epilogue(dot, s, ws.getAtIndex(JAVA_FLOAT_UNALIGNED, m + u)));
                    }
                }
                for (; m < rowEnd; m++) {
                    int dot = q4Dot1(data, m * rowBytes, qp, qOff, chunks) - bias + q4Tail(data, m, k, q, qBase, vecElems);
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m,
                            JavaKernels.i8Epilogue(dot, s, ws.getAtIndex(JAVA_FLOAT_UNALIGNED, m)));
                }
            }
        }

        /**
         * Per token: for each chunk c and field f, lane j gets the activation of the element stored in nibble
         * f of lane j (byte c*vb + 2j + f/2, high nibble when f is odd). vecSums[t] = sum of those activations.
         */
        private short[] q4Activations(MemorySegment q, int tokens, int k, int chunks, int vb, int[] vecSums, Scratch scratch) {
            int lanes = vb / 2, vecElems = chunks * vb * 2, half = Q4Matrix.GROUP / 2;
            short[] qp = scratch.shorts(tokens * vecElems);
            for (int t = 0; t < tokens; t++) {
                long qBase = (long) t * k;
                int out = t * vecElems, sum = 0;
                for (int c = 0; c < chunks; c++)
                    for (int f = 0; f < 4; f++)
                        for (int j = 0; j < lanes; j++) {
                            int b = c * vb + 2 * j + (f >> 1);
                            int element = (b / half) * Q4Matrix.GROUP + b % half + ((f & 1) == 1 ? half : 0);
                            byte a = q.get(JAVA_BYTE, qBase + element);
                            qp[out++] = a;
                            sum += a;
                        }
                vecSums[t] = sum;
            }
            return qp;
        }

        /** Scalar dot over elements [from, k) of row m, from the codes themselves (no bias). */
        private static int q4Tail(MemorySegment data, int m, int k, MemorySegment q, long qBase, int from) {
            int dot = 0;
            for (int e = from; e < k; e++) dot += Q4Matrix.code(data, m, k, e) * q.get(JAVA_BYTE, qBase + e);
            return dot;
        }

        private static ShortVector nibbles(ShortVector w, int field) {
            return w.lanewise(VectorOperators.LSHR, 4 * field).and((short) 15);
        }

        /** One row, one token: sum of nibble * q over the vector part. */
        private int q4Dot1(MemorySegment data, long rowStart, short[] qp, int qOff, int chunks) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            ShortVector zero = ShortVector.zero(ss);
            IntVector acc = IntVector.zero(ints());
            for (int c0 = 0; c0 < chunks; c0 += Q4_FLUSH) {
                ShortVector sacc = zero;
                for (int c = c0, end = Math.min(chunks, c0 + Q4_FLUSH); c < end; c++) {
                    ShortVector wv = ShortVector.fromMemorySegment(ss, data, rowStart + (long) c * vb, LE);
                    int qi = qOff + c * 4 * lanes;
                    for (int f = 0; f < 4; f++, qi += lanes) sacc = sacc.add(nibbles(wv, f).mul(ShortVector.fromArray(ss, qp, qi)));
                }
                acc = widen(acc, sacc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /** Four consecutive rows, one token: every activation vector is loaded once for four rows. */
        private void q4Dot4(MemorySegment data, long row0, long rowBytes, short[] qp, int qOff, int chunks, int[] out) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            ShortVector zero = ShortVector.zero(ss);
            IntVector a0 = IntVector.zero(ints()), a1 = a0, a2 = a0, a3 = a0;
            long r1 = row0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
            for (int c0 = 0; c0 < chunks; c0 += Q4_FLUSH) {
                ShortVector s0 = zero, s1 = zero, s2 = zero, s3 = zero;
                for (int c = c0, end = Math.min(chunks, c0 + Q4_FLUSH); c < end; c++) {
                    long off = (long) c * vb;
                    ShortVector w0 = ShortVector.fromMemorySegment(ss, data, row0 + off, LE);
                    ShortVector w1 = ShortVector.fromMemorySegment(ss, data, r1 + off, LE);
                    ShortVector w2 = ShortVector.fromMemorySegment(ss, data, r2 + off, LE);
                    ShortVector w3 = ShortVector.fromMemorySegment(ss, data, r3 + off, LE);
                    int qi = qOff + c * 4 * lanes;
                    for (int f = 0; f < 4; f++, qi += lanes) {
                        ShortVector a = ShortVector.fromArray(ss, qp, qi);
                        s0 = s0.add(nibbles(w0, f).mul(a));
                        s1 = s1.add(nibbles(w1, f).mul(a));
                        s2 = s2.add(nibbles(w2, f).mul(a));
                        s3 = s3.add(nibbles(w3, f).mul(a));
                    }
                }
                a0 = widen(a0, s0);
                a1 = widen(a1, s1);
                a2 = widen(a2, s2);
                a3 = widen(a3, s3);
            }
            out[0] = a0.reduceLanes(VectorOperators.ADD);
            out[1] = a1.reduceLanes(VectorOperators.ADD);
            out[2] = a2.reduceLanes(VectorOperators.ADD);
            out[3] = a3.reduceLanes(VectorOperators.ADD);
        }

        /** Per token and vb-byte chunk: the even elements (low bytes of the weight shorts), then the odd ones. */
        private static short[] splitActivations(MemorySegment q, int tokens, int k, int chunks, int vb) {
            int lanes = vb / 2, vecElems = chunks * vb;
            short[] qp = new short[tokens * vecElems];
            for (int t = 0; t < tokens; t++) {
                long qBase = (long) t * k;
                for (int c = 0; c < chunks; c++) {
                    int out = t * vecElems + c * vb;
                    for (int j = 0; j < lanes; j++) {
                        qp[out + j] = q.get(JAVA_BYTE, qBase + c * vb + 2 * j);
                        qp[out + lanes + j] = q.get(JAVA_BYTE, qBase + c * vb + 2 * j + 1);
                    }
                }
            }
            return qp;
        }

        /** Scalar dot over elements [from, k) of a row: the part not covered by whole vectors. */
        private static int i8Tail(MemorySegment data, long rowStart, MemorySegment q, long qBase, int from, int k) {
            int dot = 0;
            for (int e = from; e < k; e++) dot += data.get(JAVA_BYTE, rowStart + e) * q.get(JAVA_BYTE, qBase + e);
            return dot;
        }

        /** lo * even + hi * odd for one weight vector: exact int16 pair sums (|.| &lt;= 32512). */
        private static ShortVector i8Pairs(ShortVector wv, ShortVector even, ShortVector odd) {
            ShortVector lo = wv.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
            return lo.mul(even).add(wv.lanewise(VectorOperators.ASHR, 8).mul(odd));
        }

        /** One row, one token. */
        private int i8Dot1(MemorySegment data, long rowStart, short[] qp, int qOff, int chunks) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            IntVector acc = IntVector.zero(ints());
            for (int c = 0; c < chunks; c++) {
                ShortVector wv = ShortVector.fromMemorySegment(ss, data, rowStart + (long) c * vb, LE);
                int qi = qOff + c * vb;
                acc = widen(acc, i8Pairs(wv, ShortVector.fromArray(ss, qp, qi), ShortVector.fromArray(ss, qp, qi + lanes)));
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /** Four consecutive rows (k bytes apart), one token. */
        private void i8Dot4(MemorySegment data, long row0, int k, short[] qp, int qOff, int chunks, int[] out) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            IntVector a0 = IntVector.zero(ints()), a1 = a0, a2 = a0, a3 = a0;
            long r1 = row0 + k, r2 = r1 + k, r3 = r2 + k;
            for (int c = 0; c < chunks; c++) {
                long off = (long) c * vb;
                int qi = qOff + c * vb;
                ShortVector even = ShortVector.fromArray(ss, qp, qi), odd = ShortVector.fromArray(ss, qp, qi + lanes);
                a0 = widen(a0, i8Pairs(ShortVector.fromMemorySegment(ss, data, row0 + off, LE), even, odd));
                a1 = widen(a1, i8Pairs(ShortVector.fromMemorySegment(ss, data, r1 + off, LE), even, odd));
                a2 = widen(a2, i8Pairs(ShortVector.fromMemorySegment(ss, data, r2 + off, LE), even, odd));
                a3 = widen(a3, i8Pairs(ShortVector.fromMemorySegment(ss, data, r3 + off, LE), even, odd));
            }
            out[0] = a0.reduceLanes(VectorOperators.ADD);
            out[1] = a1.reduceLanes(VectorOperators.ADD);
            out[2] = a2.reduceLanes(VectorOperators.ADD);
            out[3] = a3.reduceLanes(VectorOperators.ADD);
        }

        /** One row, four consecutive tokens (split activations vecElems apart): weights split once. */
        private void i8Dot1x4(MemorySegment data, long rowStart, short[] qp, int qOff, int vecElems, int chunks, int[] out) {
            VectorSpecies<Short> ss = shorts();
            int vb = ss.vectorByteSize(), lanes = ss.length();
            IntVector a0 = IntVector.zero(ints()), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < chunks; c++) {
                ShortVector wv = ShortVector.fromMemorySegment(ss, data, rowStart + (long) c * vb, LE);
                ShortVector lo = wv.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
                ShortVector hi = wv.lanewise(VectorOperators.ASHR, 8);
                int qi = qOff + c * vb;
                a0 = widen(a0, i8Pairs2(lo, hi, qp, qi, lanes));
                a1 = widen(a1, i8Pairs2(lo, hi, qp, qi + vecElems, lanes));
                a2 = widen(a2, i8Pairs2(lo, hi, qp, qi + 2 * vecElems, lanes));
                a3 = widen(a3, i8Pairs2(lo, hi, qp, qi + 3 * vecElems, lanes));
            }
            out[0] = a0.reduceLanes(VectorOperators.ADD);
            out[1] = a1.reduceLanes(VectorOperators.ADD);
            out[2] = a2.reduceLanes(VectorOperators.ADD);
            out[3] = a3.reduceLanes(VectorOperators.ADD);
        }

        /** lo * even + hi * odd with already split weights and the token's split activations at qi. */
        private ShortVector i8Pairs2(ShortVector lo, ShortVector hi, short[] qp, int qi, int lanes) {
            VectorSpecies<Short> ss = shorts();
            return lo.mul(ShortVector.fromArray(ss, qp, qi)).add(hi.mul(ShortVector.fromArray(ss, qp, qi + lanes)));
        }

        // ---------------------------------------------------------------------------------------------------
        // F16 GEMM

        final void f16Gemm(F16Matrix w, MemorySegment x, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
            int k = w.cols();
            VectorSpecies<Float> fs = floats();
            int fl = fs.length();
            int bound = fs.loopBound(k);
            // Activations are shared by every row: converted once (scalar Float.float16ToFloat is an intrinsic).
            float[] xf = SCRATCH.get().activations(tokens * k);
            for (int i = 0; i < tokens * k; i++) xf[i] = Float.float16ToFloat(x.getAtIndex(JAVA_SHORT_UNALIGNED, i));
            MemorySegment data = w.data();
            for (int m = rowBegin; m < rowEnd; m++) {
                long rowOff = 2L * m * k;
                int t = 0;
                // Four tokens at a time: each weight vector is converted once and used four times.
                for (; t + 4 <= tokens; t += 4) {
                    int x0 = t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
                    FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
                    int i = 0;
                    for (; i < bound; i += fl) {
                        FloatVector wv = f16(data, rowOff + 2L * i);
                        a0 = wv.fma(FloatVector.fromArray(fs, xf, x0 + i), a0);
                        a1 = wv.fma(FloatVector.fromArray(fs, xf, x1 + i), a1);
                        a2 = wv.fma(FloatVector.fromArray(fs, xf, x2 + i), a2);
                        a3 = wv.fma(FloatVector.fromArray(fs, xf, x3 + i), a3);
                    }
                    float s0 = FloatLanes.sum(a0), s1 = FloatLanes.sum(a1), s2 = FloatLanes.sum(a2), s3 = FloatLanes.sum(a3);
                    for (; i < k; i++) {
                        float wf = Float.float16ToFloat(data.get(JAVA_SHORT_UNALIGNED, rowOff + 2L * i));
                        s0 += wf * xf[x0 + i];
                        s1 += wf * xf[x1 + i];
                        s2 += wf * xf[x2 + i];
                        s3 += wf * xf[x3 + i];
                    }
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, s0);
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) (t + 1) * ldy + m, s1);
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) (t + 2) * ldy + m, s2);
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) (t + 3) * ldy + m, s3);
                }
                // Remaining tokens: convert and multiply in one pass, two accumulators to hide the FMA latency.
                for (; t < tokens; t++) {
                    int x0 = t * k;
                    FloatVector acc0 = FloatVector.zero(fs), acc1 = acc0;
                    int i = 0;
                    for (; i + 2 * fl <= bound; i += 2 * fl) {
                        acc0 = f16(data, rowOff + 2L * i).fma(FloatVector.fromArray(fs, xf, x0 + i), acc0);
                        acc1 = f16(data, rowOff + 2L * (i + fl)).fma(FloatVector.fromArray(fs, xf, x0 + i + fl), acc1);
                    }
                    for (; i < bound; i += fl) acc0 = f16(data, rowOff + 2L * i).fma(FloatVector.fromArray(fs, xf, x0 + i), acc0);
                    float acc = FloatLanes.sum(acc0.add(acc1));
                    for (; i < k; i++) acc += Float.float16ToFloat(data.get(JAVA_SHORT_UNALIGNED, rowOff + 2L * i)) * xf[x0 + i];
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m, acc);
                }
            }
        }

        /**
         * One float vector from as many F16 values at byte offset off. The JDK 25 Vector API has no F16 lane
         * conversion, so it is done on the bits: exponent and mantissa shifted into float position and rescaled
         * by 2^112 (exact, and subnormal F16 become normal floats on the way), Inf/NaN patched, sign put back.
         */
        private FloatVector f16(MemorySegment seg, long off) {
            ShortVector h = ShortVector.fromMemorySegment(halfShorts(), seg, off, LE);
            IntVector hi = (IntVector) h.convertShape(VectorOperators.S2I, ints(), 0);
            IntVector em = hi.and(0x7FFF);
            IntVector bits = em.lanewise(VectorOperators.LSHL, 13);
            IntVector scaled = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00);
            IntVector out = scaled.blend(bits.or(0x7F800000), special).or(hi.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            return out.reinterpretAsFloats();
        }
    }

    /**
     * Per-thread buffers reused across calls, so the decode loop allocates nothing: each kernel call runs on
     * one thread and needs them only for its duration. They grow to the largest call seen.
     */
    private static final class Scratch {
        private short[] shorts = new short[0];
        private int[] ints = new int[0];
        private float[] floats = new float[0], activations = new float[0];
        final int[] dots = new int[4];

        short[] shorts(int n) {
            if (shorts.length < n) shorts = new short[n];
            return shorts;
        }

        int[] ints(int n) {
            if (ints.length < n) ints = new int[n];
            return ints;
        }

        float[] floats(int n) {
            if (floats.length < n) floats = new float[n];
            return floats;
        }

        float[] activations(int n) {
            if (activations.length < n) activations = new float[n];
            return activations;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
}
