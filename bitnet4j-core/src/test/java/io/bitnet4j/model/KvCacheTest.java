package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.synthetic.SyntheticModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KV cache grows a block of positions at a time, reads back across block boundaries and frees on reset. */
class KvCacheTest {
    static final int CONTEXT = 600, KV_DIM = 64, HEAD_DIM = 32; // 600 = two full blocks and a short one of 88

    @TempDir
    static Path dir;

    /** K row of a position: values whose F16 rounding is visible (not exactly representable). */
    static float value(int pos, int i, boolean key) {
        return (float) Math.sin(pos * 0.37 + i * 1.3 + (key ? 0 : 2)) * (1 + pos % 7) / 3.1f;
    }

    @Test
    void f16BlocksGrowWithThePositionsUsedAndReadBackAcrossBoundaries() {
        AtomicLong held = new AtomicLong();
        var layer = new KvCache.F16Layer(CONTEXT, KV_DIM, HEAD_DIM, held::addAndGet);
        long block = 4L * KvCache.BLOCK * KV_DIM;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4L * KV_DIM), v = arena.allocate(4L * KV_DIM);
            for (int pos = 0; pos < CONTEXT; pos++) {
                for (int i = 0; i < KV_DIM; i++) {
                    k.setAtIndex(ValueLayout.JAVA_FLOAT, i, value(pos, i, true));
                    v.setAtIndex(ValueLayout.JAVA_FLOAT, i, value(pos, i, false));
                }
                layer.store(pos, k, 0, v, 0);
                long blocks = pos / KvCache.BLOCK + 1;
                long expected = pos < 2 * KvCache.BLOCK ? blocks * block : 2 * block + 4L * (CONTEXT - 2 * KvCache.BLOCK) * KV_DIM;
                assertEquals(expected, held.get(), "bytes after storing position " + pos);
            }
        }
        // a read spanning both boundaries, for each KV head
        int from = KvCache.BLOCK - 3, n = KvCache.BLOCK + 10;
        float[] keys = new float[n * HEAD_DIM], values = new float[n * HEAD_DIM];
        for (int head = 0; head < KV_DIM / HEAD_DIM; head++) {
            layer.keys(from, n, head, keys);
            layer.values(from, n, head, values);
            for (int j = 0; j < n; j++)
                for (int d = 0; d < HEAD_DIM; d++) {
                    int i = head * HEAD_DIM + d;
                    assertEquals(Ops.roundF16(value(from + j, i, true)), keys[j * HEAD_DIM + d], "K " + (from + j) + "," + i);
                    assertEquals(Ops.roundF16(value(from + j, i, false)), values[j * HEAD_DIM + d], "V " + (from + j) + "," + i);
                }
        }
        layer.release(KvCache.BLOCK + 1); // keeps the block holding position 256
        assertEquals(2 * block, held.get());
        layer.release(0);
        assertEquals(0, held.get());
        assertThrows(IndexOutOfBoundsException.class, () -> layer.store(CONTEXT, MemorySegment.NULL, 0, MemorySegment.NULL, 0));
    }

    @Test
    void q8RoundTripsWithinHalfAStepOfItsGroupScale() {
        AtomicLong held = new AtomicLong();
        var layer = new KvCache.Q8Layer(CONTEXT, KV_DIM, HEAD_DIM, held::addAndGet);
        int groups = KV_DIM / KvCache.Q8Layer.Q8_GROUP;
        SplittableRandom random = new SplittableRandom(3);
        float[][] stored = new float[CONTEXT][KV_DIM];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4L * KV_DIM), v = arena.allocate(4L * KV_DIM);
            for (int pos = 0; pos < CONTEXT; pos++) {
                for (int i = 0; i < KV_DIM; i++) {
                    // magnitudes from 1e-3 to 1e2 across groups, one group all zero, one with an outlier
                    float x = pos == 5 && i < 32 ? 0f : (float) (random.nextGaussian() * Math.pow(10, (pos + i / 32) % 6 - 3));
                    if (pos == 7 && i == 40) x = 500f;
                    stored[pos][i] = x;
                    k.setAtIndex(ValueLayout.JAVA_FLOAT, i, x);
                    v.setAtIndex(ValueLayout.JAVA_FLOAT, i, -x);
                }
                layer.store(pos, k, 0, v, 0);
            }
        }
        assertEquals(2L * CONTEXT * (KV_DIM + 2 * groups), held.get(), "1 byte per value and 2 per 32-value scale, K and V");
        float[] keys = new float[CONTEXT * HEAD_DIM], values = new float[CONTEXT * HEAD_DIM];
        for (int head = 0; head < KV_DIM / HEAD_DIM; head++) {
            layer.keys(0, CONTEXT, head, keys);
            layer.values(0, CONTEXT, head, values);
            for (int pos = 0; pos < CONTEXT; pos++)
                for (int g = 0; g < HEAD_DIM / 32; g++) {
                    float max = 0;
                    int base = head * HEAD_DIM + g * 32;
                    for (int i = 0; i < 32; i++) max = Math.max(max, Math.abs(stored[pos][base + i]));
                    // half a step of max/127, plus up to 127 steps times the F16 rounding of the scale: relative 2^-11,
                    // or half the smallest subnormal (2^-25) where the scale is below F16's normal range
                    double bound = (max / 254.0 + 127 * Math.max(max / 127.0 * Math.pow(2, -11), Math.pow(2, -25))) * 1.001;
                    for (int i = 0; i < 32; i++) {
                        int at = pos * HEAD_DIM + g * 32 + i;
                        float want = stored[pos][base + i];
                        assertTrue(Math.abs(keys[at] - want) <= bound, "K " + pos + "," + (base + i) + ": " + keys[at] + " for " + want);
                        assertTrue(Math.abs(values[at] + want) <= bound, "V " + pos + "," + (base + i) + ": " + values[at] + " for " + -want);
                        if (max == 0) assertEquals(0f, keys[at]);
                    }
                }
        }
        assertEquals(3, KvCache.Q8Layer.roundHalfAway(2.5f));
        assertEquals(-3, KvCache.Q8Layer.roundHalfAway(-2.5f));
        layer.release(0);
        assertEquals(0, held.get());
        assertThrows(IllegalArgumentException.class, () -> new KvCache.Q8Layer(CONTEXT, 48, 24, held::addAndGet), "head size not a multiple of 32");
    }

    @Test
    void aSessionPastTwoBlocksMatchesTheReferenceAndHoldsOnlyItsBlocksUntilClosed() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        SyntheticModel.Spec spec = SyntheticModel.Spec.tiny(); // context 512: two blocks
        SyntheticModel.write(file, spec, null, 7);
        int n = 300;
        int[] tokens = new SplittableRandom(5).ints(n, 0, spec.vocab()).toArray();
        float[] want;
        try (GgufFile g = GgufFile.open(file)) {
            ReferenceModel ref = new ReferenceModel(g);
            float[] last = null;
            for (int t : tokens) last = ref.forward(t);
            want = last;
        }
        try (Model m = Model.load(file, Model.Options.builder().threads(2).build()); Session s = m.newSession()) {
            ModelConfig c = m.config();
            assertEquals(0, s.cacheBytes(), "nothing is allocated before the first token");
            float[] got = null;
            for (int i = 0; i < n; i++) {
                got = s.decode(tokens[i]);
                long blocks = i / KvCache.BLOCK + 1;
                assertEquals(blocks * 4L * KvCache.BLOCK * c.kvDim() * c.layers(), s.cacheBytes(), "after position " + i);
            }
            double maxAbs = 0, maxDiff = 0;
            for (int j = 0; j < want.length; j++) {
                maxAbs = Math.max(maxAbs, Math.abs(want[j]));
                maxDiff = Math.max(maxDiff, Math.abs(want[j] - got[j]));
            }
            assertTrue(maxDiff <= 0.02 * maxAbs, "max |diff| " + maxDiff + " vs max |logit| " + maxAbs);
            float[] before = got.clone();
            long held = s.cacheBytes();
            s.reset();
            assertEquals(held, s.cacheBytes(), "reset keeps the blocks for the next positions");
            for (int i = 0; i < n; i++) got = s.decode(tokens[i]);
            assertEquals(held, s.cacheBytes(), "the same positions again: nothing more allocated");
            assertArrayEquals(before, got, "the same tokens after a reset give the same logits");
            assertThrows(ContextOverflowException.class, () -> s.prefill(new int[spec.ctx() - n + 1]));
            assertEquals(n, s.position());
            assertEquals(held, m.memory().kvCache(), "the model counts its sessions' blocks");
            s.close();
            assertEquals(0, m.memory().kvCache(), "closing the session frees them");
            try (Session q8 = m.newSession(spec.ctx(), CacheType.Q8)) {
                q8.decode(tokens[0]);
                long perPosition = 2L * c.layers() * (c.kvDim() + 2L * (c.kvDim() / 32));
                assertEquals(KvCache.BLOCK * perPosition, q8.cacheBytes(), "a session may choose its own cache type");
            }
        }
    }
}
