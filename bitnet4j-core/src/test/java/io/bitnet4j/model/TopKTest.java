package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link Ops#topK}, which picks the logits to rescore after a quantized output projection, against a full sort. */
class TopKTest {

    @Test
    void keepsTheLargestValuesWithDistinctIds() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 2, 63, 64, 65, 1000, 128256}) {
                for (int k : new int[] {1, 7, 64}) {
                    if (k > n) continue;
                    MemorySegment x = arena.allocate(4L * (n + 10));
                    float[] values = new float[n];
                    for (int i = 0; i < n; i++) {
                        // repeated values and sorted runs too: ties and monotone inputs are the awkward cases
                        values[i] = switch (i % 3) { case 0 -> (float) rnd.nextGaussian(); case 1 -> i % 17; default -> -i; };
                        x.setAtIndex(JAVA_FLOAT, 10 + i, values[i]);
                    }
                    int[] ids = new int[k];
                    float[] got = new float[k];
                    Ops.topK(x, 10, n, ids, got);
                    assertEquals(k, IntStream.of(ids).distinct().count(), "distinct ids, n=" + n + " k=" + k);
                    for (int j = 0; j < k; j++) assertEquals(values[ids[j]], got[j], "value of id " + ids[j]);
                    float[] sorted = values.clone();
                    Arrays.sort(sorted);
                    float[] expected = Arrays.copyOfRange(sorted, n - k, n), kept = got.clone();
                    Arrays.sort(kept);
                    assertArrayEquals(expected, kept, "n=" + n + " k=" + k);
                }
            }
        }
    }

    @Test
    void neverPrefersNaN() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * 6);
            float[] v = {Float.NaN, 1f, Float.NaN, 3f, Float.NEGATIVE_INFINITY, 2f};
            for (int i = 0; i < v.length; i++) x.setAtIndex(JAVA_FLOAT, i, v[i]);
            int[] ids = new int[3];
            float[] got = new float[3];
            Ops.topK(x, 0, v.length, ids, got);
            Arrays.sort(ids);
            assertArrayEquals(new int[] {1, 3, 5}, ids);
        }
    }
}
