package io.bitnet4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** FloatLanes.sum adds the lanes in the one documented order (halves folded), at every species width, from a vector or stored lanes. */
class FloatLanesTest {

    @Test
    void sumsHalvesFoldedAtEveryWidth() {
        Random r = new Random(7);
        for (VectorSpecies<Float> s : java.util.List.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            for (int trial = 0; trial < 1000; trial++) {
                float[] lanes = new float[s.length()];
                // mixed magnitudes and signs, so that a different order would round differently
                for (int i = 0; i < lanes.length; i++) lanes[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(8) - 4));
                assertEquals(Float.floatToIntBits(foldedHalves(lanes)), Float.floatToIntBits(FloatLanes.sum(FloatVector.fromArray(s, lanes, 0))),
                        s + " trial " + trial);
                float[] stored = new float[lanes.length + 3];
                System.arraycopy(lanes, 0, stored, 3, lanes.length);
                assertEquals(Float.floatToIntBits(foldedHalves(lanes)), Float.floatToIntBits(FloatLanes.sum(stored, 3, lanes.length)),
                        "the stored lanes' twin, " + s + " trial " + trial);
            }
        }
    }

    /** The reference order: a[i] += a[i + half] for half = n/2, n/4, ..., 1; then a[0]. */
    private static float foldedHalves(float[] lanes) {
        float[] a = lanes.clone();
        for (int half = a.length / 2; half >= 2; half /= 2)
            for (int i = 0; i < half; i++) a[i] += a[i + half];
        return a[0] + a[1];
    }
}
