package io.bitnet4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order, for every vectorised float reduction of the Java
 * code. {@code reduceLanes(ADD)} leaves the order to the implementation, and HotSpot's interpreter and its
 * JIT-compiled code sum in different orders: the same decode step gave logits up to 0.04 apart before and
 * after warm-up (one flipped int8 rounding downstream), so a result depended on what the JVM ran earlier.
 */
public final class FloatLanes {
    private FloatLanes() {}

    /** The upper half of the lanes added onto the lower half until two are left, then those two. */
    public static float sum(FloatVector v) {
        if (v.length() > 16) return sumInOrder(v); // wider than AVX-512 (long SVE vectors): lane by lane
        if (v.length() == 16) v = foldHalves(v, FloatVector.SPECIES_256);
        if (v.length() == 8) v = foldHalves(v, FloatVector.SPECIES_128);
        if (v.length() == 4) v = foldHalves(v, FloatVector.SPECIES_64);
        return v.lane(0) + v.lane(1);
    }

    /** Lower half plus upper half of v, as a vector of the half-width species. */
    private static FloatVector foldHalves(FloatVector v, VectorSpecies<Float> half) {
        return ((FloatVector) v.reinterpretShape(half, 0)).add((FloatVector) v.reinterpretShape(half, 1));
    }

    private static float sumInOrder(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
