package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.bitnet4j.kernels.FloatLanes;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The small float operations of the graph, each in the exact form bitnet.cpp evaluates it (spec §3): they
 * are cheap next to the matrix products, so clarity and fidelity come first.
 */
final class Ops {
    private Ops() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** RMSNorm, then the separate multiply by the weight: sum of float squares in double, scale in float. */
    static void rmsNorm(MemorySegment out, long outOff, MemorySegment x, long xOff, MemorySegment weight, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, xOff + i);
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = 1.0f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, xOff + i) * scale;
            out.setAtIndex(JAVA_FLOAT_UNALIGNED, outOff + i, v * weight.getAtIndex(JAVA_FLOAT_UNALIGNED, i));
        }
    }

    /** x += y over [off, off + n). */
    static void addInPlace(MemorySegment x, MemorySegment y, long off, long n) {
        for (long i = off; i < off + n; i++)
            x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, x.getAtIndex(JAVA_FLOAT_UNALIGNED, i) + y.getAtIndex(JAVA_FLOAT_UNALIGNED, i));
    }

    /** gate := relu(gate)^2 * up over [off, off + n), in that order of float operations. */
    static void reluSquaredTimes(MemorySegment gate, MemorySegment up, long off, long n) {
        for (long i = off; i < off + n; i++) {
            float r = Math.max(gate.getAtIndex(JAVA_FLOAT_UNALIGNED, i), 0f);
            gate.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (r * r) * up.getAtIndex(JAVA_FLOAT_UNALIGNED, i));
        }
    }

    /** gate := silu(gate) * up over one row of width floats at base, SiLU as ggml's AVX2 build computes it. */
    static void siluTimes(MemorySegment gate, MemorySegment up, long base, int width) {
        for (int i = 0; i < width; i++) {
            float g = gate.getAtIndex(JAVA_FLOAT_UNALIGNED, base + i);
            boolean inFullBlock = i < (width & ~7);
            gate.setAtIndex(JAVA_FLOAT_UNALIGNED, base + i, GgmlOrder.silu(g, inFullBlock) * up.getAtIndex(JAVA_FLOAT_UNALIGNED, base + i));
        }
    }

    /** x[off, off+n) *= s: a projection's scale tensor, applied as ggml_mul does (skipped when 1, which is exact). */
    static void scale(MemorySegment x, long off, long n, float s) {
        if (s == 1f) return;
        for (long i = off; i < off + n; i++) x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, x.getAtIndex(JAVA_FLOAT_UNALIGNED, i) * s);
    }

    /**
     * RoPE angles for one position as ggml's cache computes them: theta_0 = pos, theta_{i+1} = theta_i *
     * base^(-2/dims) as a float cumulative product; pair i turns by freqScale * (theta_i / factors[i]) (the
     * frequency factors and linear scaling; both 1 for most models, where the operations are exact). cos and sin
     * are the C library's cosf and sinf when cLibrary is set (as ggml calls them), else correctly rounded.
     */
    static void ropeAngles(int pos, int dims, float thetaScale, float freqScale, float[] factors, boolean cLibrary,
            float[] cos, float[] sin) {
        float theta = pos;
        for (int i = 0; i < dims / 2; i++) {
            float angle = freqScale * (theta / factors[i]);
            cos[i] = cLibrary ? CMath.cosf(angle) : (float) Math.cos(angle);
            sin[i] = cLibrary ? CMath.sinf(angle) : (float) Math.sin(angle);
            theta *= thetaScale;
        }
    }

    /**
     * RoPE on each head of a row: pair i is (i, i + headDim/2) in NEOX mode, (2i, 2i+1) in NORM mode. The rotation
     * is written as the compiled ggml evaluates it (the compiler fuses one multiply of each output into an FMA):
     * x0' = fma(x0, cos, -(x1 sin)), x1' = fma(x0, sin, x1 cos).
     */
    static void rope(MemorySegment x, long off, int heads, int headDim, float[] cos, float[] sin, Architecture.RopeMode mode) {
        int half = headDim / 2;
        boolean neox = mode == Architecture.RopeMode.NEOX;
        for (int h = 0; h < heads; h++) {
            long base = off + (long) h * headDim;
            for (int i = 0; i < half; i++) {
                long i0 = neox ? base + i : base + 2L * i, i1 = neox ? i0 + half : i0 + 1;
                float x0 = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i0), x1 = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i1);
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, i0, Math.fma(x0, cos[i], -(x1 * sin[i])));
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, i1, Math.fma(x0, sin[i], x1 * cos[i]));
            }
        }
    }

    /** Rounds n floats to F16 into a short[] (the KV cache stores F16, as bitnet.cpp's does). */
    static void toF16(MemorySegment src, long srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.floatToFloat16(src.getAtIndex(JAVA_FLOAT_UNALIGNED, srcOff + i));
    }

    /** Rounds n floats to F16 into an off-heap segment (input of the F16 output projection). */
    static void toF16(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int n) {
        for (int i = 0; i < n; i++)
            dst.setAtIndex(JAVA_SHORT_UNALIGNED, dstOff + i, Float.floatToFloat16(src.getAtIndex(JAVA_FLOAT_UNALIGNED, srcOff + i)));
    }

    /** F16 to float, n values (a loop the JIT vectorises with F16C). */
    static void fromF16(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
    }

    /** Dot product of two float arrays (vectorised; order differs from a sequential sum by float rounding). */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int bound = F.loopBound(n); i < bound; i += F.length())
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        float sum = FloatLanes.sum(acc);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /**
     * Four dot products of a[aOff..) with b at bOff, bOff + stride, bOff + 2*stride, bOff + 3*stride, into
     * out[0..4): four independent FMA chains sharing each load of a (one chain is FMA-latency-bound). Each
     * result is bit-identical to {@link #dot} of the same arguments.
     */
    static void dot4(float[] a, int aOff, float[] b, int bOff, int stride, int n, float[] out) {
        int i = 0;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int b1 = bOff + stride, b2 = b1 + stride, b3 = b2 + stride;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector av = FloatVector.fromArray(F, a, aOff + i);
            acc0 = av.fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = av.fma(FloatVector.fromArray(F, b, b1 + i), acc1);
            acc2 = av.fma(FloatVector.fromArray(F, b, b2 + i), acc2);
            acc3 = av.fma(FloatVector.fromArray(F, b, b3 + i), acc3);
        }
        float s0 = FloatLanes.sum(acc0), s1 = FloatLanes.sum(acc1), s2 = FloatLanes.sum(acc2), s3 = FloatLanes.sum(acc3);
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i] * b[b1 + i];
            s2 += a[aOff + i] * b[b2 + i];
            s3 += a[aOff + i] * b[b3 + i];
        }
        out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
    }

    /** The length of {@link #dot4x2}'s out array: its 8 results, then room for its 8 accumulators' lanes. */
    static final int DOT4X2_OUT = 8 + 8 * F.length();

    /**
     * Eight dot products: four rows of a (at aOff + r * aStride, r &lt; 4) with two rows of b (at bOff and bOff + bStride),
     * into out[2r + k] (out has {@link #DOT4X2_OUT} floats). The four query heads of a KV group against two keys: 6 loads
     * per 8 FMAs where {@link #dot4} needs 5 per 4 (loads, not FMAs, set attention's pace). The accumulators are reduced
     * from their lanes stored in out, in {@link FloatLanes}'s order, so each result is bit-identical to {@link #dot} of
     * the same rows, and no vector is passed to a method (the attention's compilation unit is large enough that C2 once
     * left such calls out of line and boxed their vectors on every step).
     */
    static void dot4x2(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, int n, float[] out) {
        int i = 0, lanes = F.length();
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int a1 = aOff + aStride, a2 = a1 + aStride, a3 = a2 + aStride, b1 = bOff + bStride;
        for (int bound = F.loopBound(n); i < bound; i += lanes) {
            FloatVector k0 = FloatVector.fromArray(F, b, bOff + i), k1 = FloatVector.fromArray(F, b, b1 + i);
            FloatVector q = FloatVector.fromArray(F, a, aOff + i);
            s00 = q.fma(k0, s00);
            s01 = q.fma(k1, s01);
            q = FloatVector.fromArray(F, a, a1 + i);
            s10 = q.fma(k0, s10);
            s11 = q.fma(k1, s11);
            q = FloatVector.fromArray(F, a, a2 + i);
            s20 = q.fma(k0, s20);
            s21 = q.fma(k1, s21);
            q = FloatVector.fromArray(F, a, a3 + i);
            s30 = q.fma(k0, s30);
            s31 = q.fma(k1, s31);
        }
        s00.intoArray(out, 8);
        s01.intoArray(out, 8 + lanes);
        s10.intoArray(out, 8 + 2 * lanes);
        s11.intoArray(out, 8 + 3 * lanes);
        s20.intoArray(out, 8 + 4 * lanes);
        s21.intoArray(out, 8 + 5 * lanes);
        s30.intoArray(out, 8 + 6 * lanes);
        s31.intoArray(out, 8 + 7 * lanes);
        for (int k = 0; k < 8; k++) out[k] = FloatLanes.sum(out, 8 + k * lanes, lanes);
        for (; i < n; i++)
            for (int r = 0; r < 4; r++) {
                float q = a[aOff + r * aStride + i];
                out[2 * r] += q * b[bOff + i];
                out[2 * r + 1] += q * b[b1 + i];
            }
    }

    /**
     * out[0..n) += p0 * v[vOff..) + ... + p3 * v[vOff + 3*stride..), as four {@link #axpy} calls in that order
     * (the same FMAs per lane, so bit-identical) with one load and store of out instead of four.
     */
    static void axpy4(float p0, float p1, float p2, float p3, float[] v, int vOff, int stride, float[] out, int n) {
        int i = 0;
        FloatVector q0 = FloatVector.broadcast(F, p0), q1 = FloatVector.broadcast(F, p1);
        FloatVector q2 = FloatVector.broadcast(F, p2), q3 = FloatVector.broadcast(F, p3);
        int v1 = vOff + stride, v2 = v1 + stride, v3 = v2 + stride;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector o = FloatVector.fromArray(F, out, i);
            o = FloatVector.fromArray(F, v, vOff + i).fma(q0, o);
            o = FloatVector.fromArray(F, v, v1 + i).fma(q1, o);
            o = FloatVector.fromArray(F, v, v2 + i).fma(q2, o);
            o = FloatVector.fromArray(F, v, v3 + i).fma(q3, o);
            o.intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] += p0 * v[vOff + i];
            out[i] += p1 * v[v1 + i];
            out[i] += p2 * v[v2 + i];
            out[i] += p3 * v[v3 + i];
        }
    }

    /** The largest of s[off, off+n): NaN if any is (the lanes' maximum is order-free, so no fixed order is needed). */
    static float max(float[] s, int off, int n) {
        int j = 0;
        FloatVector maxes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int bound = F.loopBound(n); j < bound; j += F.length()) maxes = maxes.max(FloatVector.fromArray(F, s, off + j));
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) max = Math.max(max, s[off + j]);
        return max;
    }

    private static final float EXP_FLOOR = -87f; // e^-87 is still a normal float; the softmax rounds anything this small to 0

    /**
     * s[j] = e^(s[j] - max) over [off, off + n) for a max at least every value (a softmax's shift); returns their sum,
     * every value added in double in a fixed order. e^x is ggml's AVX2 polynomial
     * ({@link GgmlOrder#expf}, bitnet.cpp's softmax exponential, within 1.5 ulp), lane for lane the same bits, for x
     * clamped to -87 (below, e^x is under 1.6e-38: a softmax adds it to a sum of at least 1 and rounds it to F16 0, so
     * the clamp changes nothing). Plain IEEE operations, which the interpreter and every JIT compute alike (the Vector
     * API's EXP differs between them, and Math.exp cost 7 ns a value: 60 % of a decode step's attention at depth
     * 3072). The vector math is written out in this loop: a helper passing vectors boxes them wherever C2 does not
     * inline it, which happened once its caller grew.
     */
    static double expShiftedSum(float[] s, int off, int n, float max) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector x = FloatVector.fromArray(F, s, off + j).sub(max).max(EXP_FLOOR);
            FloatVector z = x.fma(0x1.715476p+0f, 0x1.8p23f), n0 = z.sub(0x1.8p23f).neg();
            FloatVector b = n0.fma(x.broadcast(0x1.7f7d1cp-20f), n0.fma(x.broadcast(0x1.62e4p-1f), x));
            FloatVector k = z.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(Float.floatToRawIntBits(1f)).reinterpretAsFloats();
            FloatVector u = b.mul(b);
            FloatVector poly = b.fma(0x1.0e4020p-7f, 0x1.573e2ep-5f).fma(u, b.fma(0x1.555e66p-3f, 0x1.fffdb6p-2f))
                    .fma(u, b.mul(0x1.ffffecp-1f));
            poly.fma(k, k).intoArray(s, off + j);
        }
        for (; j < n; j++) s[off + j] = expNonPositive(s[off + j] - max);
        // four double chains in a fixed order: a quarter of one chain's latency, the same sum on every run
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += s[off + i];
            s1 += s[off + i + 1];
            s2 += s[off + i + 2];
            s3 += s[off + i + 3];
        }
        for (; i < n; i++) s0 += s[off + i];
        return (s0 + s1) + (s2 + s3);
    }

    /** e^x for x &lt;= 0 as one lane of {@link #expShiftedSum} computes it: ggml's expf of x clamped to -87. */
    static float expNonPositive(float x) {
        return GgmlOrder.expf(Math.max(x, EXP_FLOOR));
    }

    /**
     * s[j] = {@link #roundF16}(s[j] * scale) over [off, off + n), for products in [0, 1] (probabilities) or NaN: adding
     * and taking away c = 2^(max(e, -14) + 13), for x in [2^e, 2^(e+1)), rounds x to a multiple of c's ulp, which is
     * F16's step there (2^(e-10), or 2^-24 below F16's normal range), half to even. Integer and IEEE float operations
     * without masks, written out in the loop as in {@link #expShiftedSum}; a lane gives the bits of the tail's
     * {@link #roundUnitF16(float)}.
     */
    static void scaleToF16(float[] s, int off, int n, float scale) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector x = FloatVector.fromArray(F, s, off + j).mul(scale);
            FloatVector c = x.reinterpretAsInts().and(EXPONENT).max(F16_MIN_EXPONENT).add(13 << 23).and(EXPONENT).reinterpretAsFloats();
            x.add(c).sub(c).intoArray(s, off + j);
        }
        for (; j < n; j++) s[off + j] = roundUnitF16(s[off + j] * scale);
    }

    private static final int EXPONENT = 0x7F800000, F16_MIN_EXPONENT = (127 - 14) << 23;

    /** {@link #roundF16} of a value in [0, 1] or NaN, the operations of one lane of {@link #scaleToF16}. */
    static float roundUnitF16(float x) {
        float c = Float.intBitsToFloat((Math.max(Float.floatToRawIntBits(x) & EXPONENT, F16_MIN_EXPONENT) + (13 << 23)) & EXPONENT);
        return (x + c) - c;
    }

    /** out[outOff..outOff+n) += p * v[vOff..vOff+n) (vectorised axpy). */
    static void axpy(float p, float[] v, int vOff, float[] out, int outOff, int n) {
        int i = 0;
        FloatVector pv = FloatVector.broadcast(F, p);
        for (int bound = F.loopBound(n); i < bound; i += F.length())
            FloatVector.fromArray(F, v, vOff + i).fma(pv, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        for (; i < n; i++) out[outOff + i] += p * v[vOff + i];
    }

    /**
     * Two heads' {@link #axpy4} over the same four V rows: out[outA..) += p[pA..pA+4) times the rows, out[outB..) +=
     * p[pB..pB+4) times them. Each V load serves both heads (8 memory operations per 8 FMAs, against 12); per lane the
     * same FMAs in the same order as two axpy4 calls, so bit-identical.
     */
    static void axpy4x2(float[] p, int pA, int pB, float[] v, int vOff, int stride, float[] out, int outA, int outB, int n) {
        int i = 0;
        FloatVector a0 = FloatVector.broadcast(F, p[pA]), a1 = FloatVector.broadcast(F, p[pA + 1]);
        FloatVector a2 = FloatVector.broadcast(F, p[pA + 2]), a3 = FloatVector.broadcast(F, p[pA + 3]);
        FloatVector b0 = FloatVector.broadcast(F, p[pB]), b1 = FloatVector.broadcast(F, p[pB + 1]);
        FloatVector b2 = FloatVector.broadcast(F, p[pB + 2]), b3 = FloatVector.broadcast(F, p[pB + 3]);
        int v1 = vOff + stride, v2 = v1 + stride, v3 = v2 + stride;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector x0 = FloatVector.fromArray(F, v, vOff + i), x1 = FloatVector.fromArray(F, v, v1 + i);
            FloatVector x2 = FloatVector.fromArray(F, v, v2 + i), x3 = FloatVector.fromArray(F, v, v3 + i);
            FloatVector oa = FloatVector.fromArray(F, out, outA + i), ob = FloatVector.fromArray(F, out, outB + i);
            oa = x3.fma(a3, x2.fma(a2, x1.fma(a1, x0.fma(a0, oa))));
            ob = x3.fma(b3, x2.fma(b2, x1.fma(b1, x0.fma(b0, ob))));
            oa.intoArray(out, outA + i);
            ob.intoArray(out, outB + i);
        }
        for (; i < n; i++) {
            for (int u = 0; u < 4; u++) out[outA + i] += p[pA + u] * v[vOff + u * stride + i];
            for (int u = 0; u < 4; u++) out[outB + i] += p[pB + u] * v[vOff + u * stride + i];
        }
    }

    /**
     * The ids (into ids) and values of the ids.length largest of the n floats at index base.. of x, in no
     * particular order: one pass with a min-heap at the root of which sits the smallest value kept. NaNs are
     * never kept (a NaN logit is never the best). Requires ids.length &lt;= n.
     */
    static void topK(MemorySegment x, long base, int n, int[] ids, float[] values) {
        int k = ids.length;
        for (int i = 0; i < k; i++) {
            float v = x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, base + i);
            ids[i] = i;
            values[i] = Float.isNaN(v) ? Float.NEGATIVE_INFINITY : v;
        }
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(ids, values, k, i);
        for (int i = k; i < n; i++) {
            float v = x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, base + i);
            if (v > values[0]) {
                values[0] = v;
                ids[0] = i;
                siftDown(ids, values, k, 0);
            }
        }
    }

    private static void siftDown(int[] ids, float[] values, int k, int at) {
        while (true) {
            int child = 2 * at + 1;
            if (child >= k) return;
            if (child + 1 < k && values[child + 1] < values[child]) child++;
            if (values[child] >= values[at]) return;
            float v = values[at]; values[at] = values[child]; values[child] = v;
            int id = ids[at]; ids[at] = ids[child]; ids[child] = id;
            at = child;
        }
    }

    /** Rounds a float through F16 and back, as ggml does to an operand before an F16 matrix product. */
    static float roundF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
