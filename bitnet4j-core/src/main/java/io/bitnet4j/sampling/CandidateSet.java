package io.bitnet4j.sampling;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The working set of one {@code sample()} call: which token ids are still allowed, plus preallocated scratch.
 *
 * <p>Candidates are handled as packed {@code long} sort keys (see {@link #key}) so that "higher logit first,
 * lower id on ties" is plain ascending {@code long} order: the top-k heap and the sort need no comparator,
 * no boxing and no allocation. All arrays are sized to the vocabulary once and reused.
 *
 * <p>Complexity per call, V = vocabulary, k = top-k, m = tokens near the top:
 * <ul>
 *   <li>scan (NaN clean-up, max, argmax): O(V), no exp;</li>
 *   <li>top-k on: O(V + r log k) bounded heap (r = heap replacements, small for typical logits) plus
 *       O(k log k) sort;</li>
 *   <li>top-k off, top-p on: O(V) histogram pass (one exp per token) that finds a logit threshold already
 *       enclosing the nucleus, then O(V) gather and O(m log m) sort of only the tokens above it;</li>
 *   <li>top-k and top-p off: O(V) gather, no sort (drawing does not need sorted candidates);</li>
 *   <li>min-p, temperature and the draw: O(candidates).</li>
 * </ul>
 */
final class CandidateSet {
    /** Histogram resolution (in logits) used to bound the nucleus when top-k is off. */
    private static final double BUCKET_WIDTH = 0.25;
    private static final int BUCKETS = 256; // covers 64 logits below the max; further tokens share the last one

    private long[] keys = new long[0];
    private int[] ids = new int[0];
    private double[] weights = new double[0];
    private final double[] bucketMass = new double[BUCKETS + 1];
    private int count;

    private float maxLogit;
    private int argmax;

    void ensureCapacity(int vocabSize) {
        if (keys.length < vocabSize) {
            keys = new long[vocabSize];
            ids = new int[vocabSize];
            weights = new double[vocabSize];
        }
    }

    int count() {
        return count;
    }

    int id(int i) {
        return ids[i];
    }

    int argmax() {
        return argmax;
    }

    /**
     * First pass over the vocabulary. Defines the number semantics the rest relies on: NaN is rewritten to
     * -Infinity (the token can never be chosen), +Infinity to {@link Float#MAX_VALUE} (so differences to the max
     * stay finite and softmax cannot produce NaN). -Infinity means "masked". Also records the max and the argmax
     * with the lowest id on ties.
     *
     * <p>The common case (all finite) is one pass with a single well-predicted branch per token; the rewrite
     * pass and a second scan only run when the first one saw a NaN or +Infinity.
     */
    void scan(float[] logits, int vocabSize) {
        if (!scanFinite(logits, vocabSize)) {
            rewriteSpecialValues(logits, vocabSize);
            scanFinite(logits, vocabSize);
        }
        if (maxLogit == Float.NEGATIVE_INFINITY)
            throw new IllegalArgumentException("all " + vocabSize + " logits are NaN or -Infinity: nothing to sample");
    }

    /** Sets max and argmax (strict {@code >}: the lowest id wins ties); false if a NaN or +Infinity was seen. */
    private boolean scanFinite(float[] logits, int vocabSize) {
        float max = Float.NEGATIVE_INFINITY;
        int best = 0;
        boolean sawNaN = false;
        for (int i = 0; i < vocabSize; i++) {
            float x = logits[i];
            if (x > max) {
                max = x;
                best = i;
            } else if (x != x) {
                sawNaN = true;
            }
        }
        maxLogit = max;
        argmax = best;
        return !sawNaN && max != Float.POSITIVE_INFINITY;
    }

    private static void rewriteSpecialValues(float[] logits, int vocabSize) {
        for (int i = 0; i < vocabSize; i++) {
            float x = logits[i];
            if (x != x) logits[i] = Float.NEGATIVE_INFINITY;
            else if (x == Float.POSITIVE_INFINITY) logits[i] = Float.MAX_VALUE;
        }
    }

    /** Applies top-k, top-p and min-p (in that order) and leaves the survivors in {@link #id(int)}. */
    void filter(float[] logits, int vocabSize, int topK, float topP, float minP) {
        // min-p keeps p >= minP * p(max), i.e. logit >= max + ln(minP); ln(0) = -inf keeps everything.
        double minPFloor = minP > 0f ? maxLogit + Math.log(minP) : Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < vocabSize) topKThenTopP(logits, vocabSize, topK, topP);
        else if (topP < 1f) topPOverVocabulary(logits, vocabSize, topP, minPFloor);
        else aboveFloor(logits, vocabSize, minPFloor);
        if (minP > 0f) keepAtLeast(logits, minPFloor);
    }

    /** Top-k leaves k sorted candidates; top-p then renormalises over those k only. */
    private void topKThenTopP(float[] logits, int vocabSize, int topK, float topP) {
        selectTopK(logits, vocabSize, topK);
        decodeIds();
        if (topP < 1f) keepNucleus(logits, topP * weightOfCandidates(logits));
    }

    /**
     * Top-p over the whole vocabulary without sorting it: a histogram pass finds a logit threshold that surely
     * encloses the nucleus, and only tokens above it (and above the min-p floor, which would drop the others
     * anyway) are sorted.
     */
    private void topPOverVocabulary(float[] logits, int vocabSize, float topP, double minPFloor) {
        double target = topP * nucleusHistogram(logits, vocabSize);
        gather(logits, vocabSize, Math.max(nucleusThreshold(target), minPFloor));
        sortKeys();
        decodeIds();
        keepNucleus(logits, target);
    }

    /** No top-k/top-p: every token above the floor, left in ascending id order (the draw needs no sorting). */
    private void aboveFloor(float[] logits, int vocabSize, double floor) {
        gather(logits, vocabSize, floor);
        decodeIds();
    }

    /**
     * Softmax at the given temperature over the candidates and one draw. Weights are exp((x - max) / T) in
     * double, so neither overflow nor the division by a tiny temperature can produce NaN.
     */
    int draw(float[] logits, float temperature, RandomGenerator rng) {
        double total = 0;
        for (int i = 0; i < count; i++) {
            double w = Math.exp(((double) logits[ids[i]] - maxLogit) / temperature);
            weights[i] = w;
            total += w;
        }
        double u = rng.nextDouble() * total;
        double cumulative = 0;
        int lastPositive = 0;
        for (int i = 0; i < count; i++) {
            if (weights[i] == 0) continue;
            cumulative += weights[i];
            lastPositive = i;
            if (u < cumulative) return ids[i];
        }
        return ids[lastPositive]; // u landed on the rounding gap at the very top
    }

    // ---- top-k -------------------------------------------------------------------------------------------

    /**
     * Bounded max-heap of the k best keys (its root is the worst kept one), then sorted best-first.
     *
     * <p>The hot loop only compares floats against the root's logit: ids are visited in ascending order, so a
     * token whose logit merely equals the root's has a higher id than every kept token and loses the tie anyway.
     */
    private void selectTopK(float[] logits, int vocabSize, int k) {
        int n = 0;
        int i = 0;
        for (; i < vocabSize && n < k; i++) {
            float x = logits[i];
            if (x == Float.NEGATIVE_INFINITY) continue;
            keys[n] = key(x, i);
            siftUp(n++);
        }
        // Fewer usable tokens than k: the loop below is skipped and the heap holds all of them.
        float worstKept = logitOf(keys[0]);
        for (; i < vocabSize; i++) {
            float x = logits[i];
            if (x <= worstKept) continue; // also skips -Infinity
            keys[0] = key(x, i);
            siftDown(0, n);
            worstKept = logitOf(keys[0]);
        }
        count = n;
        heapSortInPlace(n);
    }

    // ---- top-p ---------------------------------------------------------------------------------------------

    /** Unnormalised temperature-1 probability mass of the current candidates. */
    private double weightOfCandidates(float[] logits) {
        double total = 0;
        for (int i = 0; i < count; i++) total += Math.exp((double) logits[ids[i]] - maxLogit);
        return total;
    }

    /** Keeps the shortest best-first prefix whose mass reaches {@code target} (at least one token). */
    private void keepNucleus(float[] logits, double target) {
        double cumulative = 0;
        for (int i = 0; i < count; i++) {
            cumulative += Math.exp((double) logits[ids[i]] - maxLogit);
            if (cumulative >= target) {
                count = i + 1;
                return;
            }
        }
    }

    /**
     * Buckets the whole vocabulary's mass by distance below the max; returns the total mass. Lets us find a
     * threshold that surely contains the nucleus without sorting the vocabulary.
     */
    private double nucleusHistogram(float[] logits, int vocabSize) {
        Arrays.fill(bucketMass, 0.0);
        double total = 0;
        for (int i = 0; i < vocabSize; i++) {
            float x = logits[i];
            if (x == Float.NEGATIVE_INFINITY) continue;
            double below = (double) maxLogit - x;
            double w = Math.exp(-below);
            int bucket = (int) Math.min(below / BUCKET_WIDTH, BUCKETS);
            bucketMass[bucket] += w;
            total += w;
        }
        return total;
    }

    /** Lowest logit worth gathering: the end of the bucket where the mass crosses the target, plus one bucket of
     * slack so rounding at bucket edges can never cut the nucleus short. */
    private double nucleusThreshold(double target) {
        double cumulative = 0;
        for (int b = 0; b < BUCKETS; b++) {
            cumulative += bucketMass[b];
            if (cumulative >= target) return maxLogit - (b + 2) * BUCKET_WIDTH;
        }
        return Double.NEGATIVE_INFINITY;
    }

    // ---- min-p and gathering -------------------------------------------------------------------------------

    /** Collects every usable token with logit >= threshold, in ascending id order. */
    private void gather(float[] logits, int vocabSize, double threshold) {
        int n = 0;
        for (int i = 0; i < vocabSize; i++) {
            float x = logits[i];
            if (x != Float.NEGATIVE_INFINITY && x >= threshold) keys[n++] = key(x, i);
        }
        count = n;
    }

    /** Stable in-place compaction keeping candidates with logit >= floor; the max always survives. */
    private void keepAtLeast(float[] logits, double floor) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            int id = ids[i];
            if (logits[id] >= floor) ids[n++] = id;
        }
        count = n;
    }

    // ---- packed keys, heap and sort ------------------------------------------------------------------------

    /**
     * Packs (logit, id) so that ascending long order = descending logit, then ascending id. The float bits are
     * mapped to an order-preserving int (negative floats have their magnitude bits flipped) and inverted.
     * {@code + 0f} turns -0.0 into +0.0 so both zeros tie exactly as in {@code ==}.
     */
    static long key(float logit, int id) {
        int bits = Float.floatToRawIntBits(logit + 0f);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ordered << 32) | (id & 0xffffffffL);
    }

    /** Inverse of the logit half of {@link #key}. */
    static float logitOf(long key) {
        int ordered = ~(int) (key >>> 32);
        return Float.intBitsToFloat(ordered ^ ((ordered >> 31) & 0x7fffffff));
    }

    private void decodeIds() {
        for (int i = 0; i < count; i++) ids[i] = (int) keys[i];
    }

    private void sortKeys() {
        heapify(count);
        heapSortInPlace(count);
    }

    private void heapify(int n) {
        for (int i = n / 2 - 1; i >= 0; i--) siftDown(i, n);
    }

    /** Given a max-heap in keys[0, n), leaves keys[0, n) ascending. Heapsort: O(n log n), no extra memory. */
    private void heapSortInPlace(int n) {
        for (int end = n - 1; end > 0; end--) {
            long top = keys[0];
            keys[0] = keys[end];
            keys[end] = top;
            siftDown(0, end);
        }
    }

    private void siftUp(int i) {
        long key = keys[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] >= key) break;
            keys[i] = keys[parent];
            i = parent;
        }
        keys[i] = key;
    }

    private void siftDown(int i, int n) {
        long key = keys[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && keys[child + 1] > keys[child]) child++;
            if (keys[child] <= key) break;
            keys[i] = keys[child];
            i = child;
        }
        keys[i] = key;
    }
}
