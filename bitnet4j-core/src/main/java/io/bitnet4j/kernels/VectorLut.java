package io.bitnet4j.kernels;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lookup-table ternary GEMM on the Vector API: the TL1 idea of the native kernels ({@code docs/kernels.md})
 * with {@code selectFrom} as the table lookup, for 128, 256 or 512-bit vectors.
 *
 * <h2>Method</h2>
 * Weights go in pairs: (w0, w1) in {-1,0,1}^2 becomes the 4-bit index 3*w0 + w1 + 4 in [0, 8]. For a token,
 * the pair of activations (a0, a1) gives the 9-entry table w0*a0 + w1*a1, which is up to 255 in magnitude: not
 * a byte. As in the native TL1/TL2, every activation is split exactly into q = lo + 16*hi with lo in [-8, 7] and
 * hi in [-8, 8]; the lo and hi tables then hold |entry| &lt;= 16, exact int8. One byte vector of indices holds
 * the same pair position of {@code bits/8} rows (see {@link VectorLutMatrix}), so one {@code selectFrom} looks up
 * that many rows at once. Lookups are summed in byte lanes for {@link #GROUP} index bytes (6 pairs, |sum| &lt;= 96),
 * widened to int16 with shifts (even rows / odd rows), and spilled to int every {@link #SPILL} index bytes.
 *
 * <p>The kernel computes sum(w*q) exactly and adds back its own sum(q) per token (exact int), so
 * dot = sum(code*q) = sum((w+1)*q) and the float epilogue is {@link JavaKernels#epilogue}: bit-identical to
 * {@link JavaKernels#i2sGemm}. Packing rejects the invalid I2_S code 3 (a ternary LUT cannot represent it).
 *
 * <h2>Performance (Zen 3, AVX2, one thread, 2560x2560, shared 2-core machine)</h2>
 * About 1.6-1.9x slower than {@link VectorKernels}' multiply-add (best-of-300 calls: ~440 vs ~270 us at one
 * token; JMH in docs/kernels.md). Measured reasons:
 * <ul>
 *   <li>The Vector API's {@code selectFrom}/{@code rearrange} is a full-width permutation. Native TL1/TL2 use
 *       {@code pshufb}, which looks up 16-entry tables independently in each 128-bit lane, with the table
 *       broadcast to every lane; the API cannot say "in-lane", so on AVX2 (no {@code vpermb}) C2 has to emulate
 *       a 256-bit byte permutation with several shuffles and a blend. Evidence: going from 128 to 256 bits
 *       sped this kernel up only 1.17x (511 -> 436 us) but the multiply-add kernel 1.83x (488 -> 266 us).
 *       At 128 bits, where a byte permutation can be a single {@code pshufb}, the two are close (511 vs 488 us).
 *   <li>Each pair costs two lookups (lo and hi plane) for two weights, against one int16 multiply-add per
 *       weight in VectorKernels: the table saves multiplies the hardware does cheaply anyway.
 *   <li>Vector API bounds checks: {@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0} took 436 to 367 us.
 *   <li>Tried and dropped: one 32-byte table load serving both planes (hi indices + 16) instead of two loads:
 *       no change (448 us), so the loads are not the bottleneck, the shuffles are.
 * </ul>
 * It is kept as the measured answer to "does the LUT approach pay on the Vector API" (not on AVX2) and as a
 * candidate for CPUs whose full-width byte permutation is a single instruction (AVX-512 VBMI {@code vpermb},
 * SVE {@code tbl}), where it has not been measured.
 */
public final class VectorLut {
    private VectorLut() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Index bytes summed in byte lanes before widening: 2 pairs each, |entry| &lt;= 16, so |sum| &lt;= 96 &lt; 128. */
    static final int GROUP = 3;

    /** Index bytes accumulated in int16 before spilling to int: 512 pairs, |sum| &lt;= 8192 &lt; 32767. */
    static final int SPILL = 256;

    /** Bytes of one pair's tables: the lo table (16 bytes, 9 used) then the hi table. */
    private static final int PAIR_BYTES = 32;

    /** Index of a zero-weight pair, in both nibbles: the padding of the last tile (any valid index would do). */
    private static final byte ZERO_PAIRS = 0x44;

    /** Repacks for the CPU's preferred width (or {@link VectorKernels#BITS_PROPERTY}), in a 64-byte aligned segment. */
    public static VectorLutMatrix pack(TernaryMatrix w, Arena arena) {
        return pack(w, VectorKernels.defaultBits(), arena);
    }

    /** Repacks for an explicit vector width: 128, 256 or 512 bits (the tile height is bits/8 rows). */
    public static VectorLutMatrix pack(TernaryMatrix w, int bits, Arena arena) {
        impl(bits); // validates the width before sizing anything by it
        int k = w.cols(), rows = w.rows(), nIdx = k / 4;
        MemorySegment out = arena.allocate(VectorLutMatrix.bytes(bits, rows, k), 64);
        out.fill(ZERO_PAIRS);
        int tileRows = bits / 8;
        MemorySegment data = w.data();
        for (int m = 0; m < rows; m++) {
            long rowStart = m * w.rowBytes();
            long base = (long) (m / tileRows) * tileRows * nIdx + m % tileRows;
            for (int c = 0; c < nIdx; c++) {
                int lo = pairIndex(data, rowStart, 4 * c, m), hi = pairIndex(data, rowStart, 4 * c + 2, m);
                out.set(JAVA_BYTE, base + (long) c * tileRows, (byte) (lo | hi << 4));
            }
        }
        return new VectorLutMatrix(out, bits, rows, k, w.scale());
    }

    /** 3*w0 + w1 + 4 for elements e, e+1 of a row: with code = w + 1 that is 3*code0 + code1. */
    private static int pairIndex(MemorySegment data, long rowStart, int e, int m) {
        int c0 = JavaKernels.code(data, rowStart, e), c1 = JavaKernels.code(data, rowStart, e + 1);
        if (c0 == 3 || c1 == 3)
            throw new IllegalArgumentException("cannot repack row " + m + ": the I2_S data holds the invalid code 3");
        return 3 * c0 + c1;
    }

    /**
     * y[t*ldy + m] for tokens t &lt; tokens and rows m in [rowBegin, rowEnd), bit-identical to
     * {@link JavaKernels#i2sGemm} on the matrix that was packed. Runs at the width {@code w} was packed for.
     */
    public static void gemm(VectorLutMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum,
            int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.vectorLutGemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        if (tokens == 0 || rowBegin == rowEnd) return;
        impl(w.bits()).gemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
    }

    /** Holders: a width's class is loaded only when used, so one width per process keeps the species constant. */
    private static Impl impl(int bits) {
        return switch (bits) {
            case 128 -> H128.IMPL;
            case 256 -> H256.IMPL;
            case 512 -> H512.IMPL;
            default -> throw new IllegalArgumentException("vector width must be 128, 256 or 512 bits, got " + bits);
        };
    }

    private static final class H128 { static final Impl IMPL = new Impl128(); }
    private static final class H256 { static final Impl IMPL = new Impl256(); }
    private static final class H512 { static final Impl IMPL = new Impl512(); }

    // Species as static finals of tiny subclasses: C2 only emits SIMD for constant species (see VectorKernels).
    private static final class Impl128 extends Impl {
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
        static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
        @Override VectorSpecies<Byte> bytes() { return B; }
        @Override VectorSpecies<Short> shorts() { return S; }
    }

    private static final class Impl256 extends Impl {
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
        static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
        @Override VectorSpecies<Byte> bytes() { return B; }
        @Override VectorSpecies<Short> shorts() { return S; }
    }

    private static final class Impl512 extends Impl {
        static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
        static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
        @Override VectorSpecies<Byte> bytes() { return B; }
        @Override VectorSpecies<Short> shorts() { return S; }
    }

    abstract static sealed class Impl permits Impl128, Impl256, Impl512 {
        abstract VectorSpecies<Byte> bytes();

        abstract VectorSpecies<Short> shorts();

        final void gemm(VectorLutMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum,
                int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
            int k = w.cols(), nIdx = k / 4, tileRows = w.tileRows();
            // k/2 pairs of 32 table bytes, plus room for a full-width vector load at the last hi table.
            int tabStride = k / 2 * PAIR_BYTES + bytes().vectorByteSize();
            Scratch s = SCRATCH.get();
            byte[] tab = s.tables(tokens * tabStride);
            int[] qsum = s.qsums(tokens);
            int[] dots = s.dots(tileRows);
            short[] spill = s.spill(2 * tileRows);
            for (int t = 0; t < tokens; t++) qsum[t] = buildTables(q, (long) t * k, k, tab, t * tabStride);
            MemorySegment idx = w.indices();
            float ws = w.scale();
            // Tile outer, token inner: a tile's indices (tileRows * K/4 bytes) stay in cache across tokens.
            for (int tile = rowBegin / tileRows, last = (rowEnd - 1) / tileRows; tile <= last; tile++) {
                long tileOff = (long) tile * tileRows * nIdx;
                int m0 = tile * tileRows;
                int from = Math.max(rowBegin, m0), to = Math.min(rowEnd, m0 + tileRows);
                for (int t = 0; t < tokens; t++) {
                    Arrays.fill(dots, 0, tileRows, 0);
                    for (int c0 = 0; c0 < nIdx; c0 += SPILL)
                        spillBlock(idx, tileOff, c0, Math.min(nIdx, c0 + SPILL), tab, t * tabStride, spill, dots);
                    int sum = actSum.getAtIndex(JAVA_INT_UNALIGNED, t);
                    float sc = actScale.getAtIndex(JAVA_FLOAT_UNALIGNED, t);
                    for (int m = from; m < to; m++)
                        y.setAtIndex(JAVA_FLOAT_UNALIGNED, (long) t * ldy + m,
                                JavaKernels.epilogue(dots[m - m0] + qsum[t], sum, sc, ws));
                }
            }
        }

        /**
         * sum(w*q) of a tile's rows over index bytes [c0, c1) (at most {@link #SPILL}), added into dots.
         * Int16 accumulators: lo plane even/odd rows, hi plane even/odd rows.
         */
        private void spillBlock(MemorySegment idx, long tileOff, int c0, int c1, byte[] tab, int tabOff,
                short[] spill, int[] dots) {
            VectorSpecies<Byte> bs = bytes();
            VectorSpecies<Short> ss = shorts();
            int rb = bs.length();
            ShortVector loE = ShortVector.zero(ss), loO = loE, hiE = loE, hiO = loE;
            ByteVector zero = ByteVector.zero(bs);
            for (int g = c0; g < c1; g += GROUP) {
                ByteVector lo = zero, hi = zero;
                for (int c = g, end = Math.min(c1, g + GROUP); c < end; c++) {
                    ByteVector v = ByteVector.fromMemorySegment(bs, idx, tileOff + (long) c * rb, LE);
                    ByteVector i0 = v.and((byte) 0x0F), i1 = v.lanewise(VectorOperators.LSHR, 4);
                    int tp = tabOff + c * 2 * PAIR_BYTES;
                    lo = lo.add(lookup(tab, tp, i0)).add(lookup(tab, tp + PAIR_BYTES, i1));
                    hi = hi.add(lookup(tab, tp + 16, i0)).add(lookup(tab, tp + PAIR_BYTES + 16, i1));
                }
                ShortVector l = lo.reinterpretAsShorts(), h = hi.reinterpretAsShorts();
                loE = loE.add(evenLanes(l));
                loO = loO.add(l.lanewise(VectorOperators.ASHR, 8));
                hiE = hiE.add(evenLanes(h));
                hiO = hiO.add(h.lanewise(VectorOperators.ASHR, 8));
            }
            int half = ss.length();
            loE.intoArray(spill, 0);
            loO.intoArray(spill, half);
            for (int j = 0; j < half; j++) {
                dots[2 * j] += spill[j];
                dots[2 * j + 1] += spill[half + j];
            }
            hiE.intoArray(spill, 0);
            hiO.intoArray(spill, half);
            for (int j = 0; j < half; j++) {
                dots[2 * j] += 16 * spill[j];
                dots[2 * j + 1] += 16 * spill[half + j];
            }
        }

        /** The 16-byte table at tab[off] (only lanes 0..8 matter), looked up by every lane of indices. */
        private ByteVector lookup(byte[] tab, int off, ByteVector indices) {
            return indices.selectFrom(ByteVector.fromArray(bytes(), tab, off));
        }

        /** Sign-extended low bytes of int16 lanes: the even byte lanes, i.e. the even rows (little endian). */
        private static ShortVector evenLanes(ShortVector s) {
            return s.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
        }

        /**
         * The lo and hi tables of every activation pair of one token (scalar: O(K), shared by all rows), and the
         * token's sum(q), which turns sum(w*q) back into the reference's sum(code*q).
         */
        private static int buildTables(MemorySegment q, long qBase, int k, byte[] tab, int off) {
            int total = 0;
            for (int e = 0; e < k; e += 2, off += PAIR_BYTES) {
                int a0 = q.get(JAVA_BYTE, qBase + e), a1 = q.get(JAVA_BYTE, qBase + e + 1);
                total += a0 + a1;
                int l0 = low(a0), l1 = low(a1);
                table(tab, off, l0, l1);
                table(tab, off + 16, (a0 - l0) >> 4, (a1 - l1) >> 4);
            }
            return total;
        }

        /** q = lo + 16*hi with lo in [-8, 7] (then hi in [-8, 8] for q in [-128, 127]). */
        private static int low(int q) {
            return ((q + 8) & 15) - 8;
        }

        /** Entry 3*(w0+1) + (w1+1) = w0*x0 + w1*x1 for the nine ternary pairs. */
        private static void table(byte[] tab, int off, int x0, int x1) {
            tab[off] = (byte) (-x0 - x1);
            tab[off + 1] = (byte) -x0;
            tab[off + 2] = (byte) (-x0 + x1);
            tab[off + 3] = (byte) -x1;
            tab[off + 4] = 0;
            tab[off + 5] = (byte) x1;
            tab[off + 6] = (byte) (x0 - x1);
            tab[off + 7] = (byte) x0;
            tab[off + 8] = (byte) (x0 + x1);
        }
    }

    /** Per-thread buffers reused across calls (allocation-free after warm-up); grown to the largest call seen. */
    private static final class Scratch {
        private byte[] tables = new byte[0];
        private int[] qsums = new int[0], dots = new int[0];
        private short[] spill = new short[0];

        byte[] tables(int n) {
            if (tables.length < n) tables = new byte[n];
            return tables;
        }

        int[] qsums(int n) {
            if (qsums.length < n) qsums = new int[n];
            return qsums;
        }

        int[] dots(int n) {
            if (dots.length < n) dots = new int[n];
            return dots;
        }

        short[] spill(int n) {
            if (spill.length < n) spill = new short[n];
            return spill;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
}
