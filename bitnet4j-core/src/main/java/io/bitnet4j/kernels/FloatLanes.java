package io.bitnet4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order, for every vectorised float reduction of the Java
 * code. {@code reduceLanes(ADD)} leaves the order to the implementation, and HotSpot's interpreter and its
 * JIT-compiled code sum in different orders: the same decode step gave logits up to 0.04 apart before and
 * after warm-up (one flipped int8 rounding downstream), so a result depended on what the JVM ran earlier.
 */
public final class FloatLanes {
    private FloatLanes() {}

    /**
     * The upper half of the lanes added onto the lower half until two are left, then those two. Each halving is a
     * lane permutation by a constant shuffle plus an add within the vector's own species: C2 compiles it to a
     * permute and an add, where resizing to a half-width species (reinterpretShape) fell back to Java code that
     * allocated on every call (57 KB per decode step of the tiny model, in attention).
     */
    public static float sum(FloatVector v) {
        switch (v.length()) {
            case 16 -> {
                v = v.add(v.rearrange(H16_8));
                v = v.add(v.rearrange(H16_4));
                v = v.add(v.rearrange(H16_2));
                v = v.add(v.rearrange(H16_1));
            }
            case 8 -> {
                v = v.add(v.rearrange(H8_4));
                v = v.add(v.rearrange(H8_2));
                v = v.add(v.rearrange(H8_1));
            }
            case 4 -> {
                v = v.add(v.rearrange(H4_2));
                v = v.add(v.rearrange(H4_1));
            }
            case 2 -> v = v.add(v.rearrange(H2_1));
            default -> {
                return sumInOrder(v); // other widths (long SVE vectors): lane by lane
            }
        }
        return v.lane(0);
    }

    /**
     * {@link #sum(FloatVector)} of a vector's n lanes stored at x[off..off+n) (they are overwritten): the same additions
     * in the same order, for code that reduces many accumulators without passing vectors to a method (a vector
     * argument is boxed wherever C2 does not inline the call, and a large compilation unit runs out of inlining budget).
     */
    public static float sum(float[] x, int off, int n) {
        if (n != 16 && n != 8 && n != 4 && n != 2) {
            float s = 0;
            for (int i = 0; i < n; i++) s += x[off + i];
            return s;
        }
        for (int h = n / 2; h >= 1; h /= 2)
            for (int i = 0; i < h; i++) x[off + i] += x[off + i + h];
        return x[off];
    }

    // H<n>_<h>: lane i takes lane i + h (i < h); the other lanes are not read afterwards.
    private static final VectorShuffle<Float> H16_8 = down(FloatVector.SPECIES_512, 8), H16_4 = down(FloatVector.SPECIES_512, 4),
            H16_2 = down(FloatVector.SPECIES_512, 2), H16_1 = down(FloatVector.SPECIES_512, 1),
            H8_4 = down(FloatVector.SPECIES_256, 4), H8_2 = down(FloatVector.SPECIES_256, 2), H8_1 = down(FloatVector.SPECIES_256, 1),
            H4_2 = down(FloatVector.SPECIES_128, 2), H4_1 = down(FloatVector.SPECIES_128, 1), H2_1 = down(FloatVector.SPECIES_64, 1);

    private static VectorShuffle<Float> down(VectorSpecies<Float> species, int h) {
        return VectorShuffle.fromOp(species, i -> i < h ? i + h : i);
    }

    private static float sumInOrder(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
