package io.bitnet4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplerChainTest {

    /** Logits whose temperature-1 softmax is exactly proportional to the given weights. */
    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.log(probabilities[i]);
        return logits;
    }

    private static int[] survivors(SamplerChain chain, float... logits) {
        return chain.candidateIds(logits.clone(), logits.length);
    }

    // ---- greedy ------------------------------------------------------------------------------------------

    @Test
    void greedyPicksArgmax() {
        SamplerChain chain = SamplerChain.builder().greedy().build();
        assertEquals(2, chain.sample(new float[] {0.1f, -3f, 7.5f, 7.4f}, 4));
        assertEquals(0, chain.sample(new float[] {-1f, -2f, -3f}, 3));
    }

    @Test
    void greedyBreaksTiesTowardsLowestId() {
        SamplerChain chain = SamplerChain.builder().greedy().build();
        assertEquals(1, chain.sample(new float[] {1f, 4f, 2f, 4f, 4f}, 5));
        assertEquals(0, chain.sample(new float[] {0f, -0f, 0f}, 3), "-0.0 and +0.0 are a tie");
    }

    @Test
    void greedyOnlyLooksAtTheFirstVocabSizeLogits() {
        SamplerChain chain = SamplerChain.builder().greedy().build();
        assertEquals(1, chain.sample(new float[] {1f, 2f, 99f}, 2));
    }

    @Test
    void temperatureZeroOrBelowEqualsGreedy() {
        SamplerChain greedy = SamplerChain.from(SamplingParams.greedyParams());
        SamplerChain zero = SamplerChain.builder().temperature(0f).topK(5).topP(0.5f).minP(0.1f).seed(1).build();
        SamplerChain negative = SamplerChain.builder().temperature(-1f).seed(2).build();
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            float[] logits = new float[500];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextInt(20); // many ties
            int expected = argmaxLowestId(logits);
            assertEquals(expected, greedy.sample(logits.clone(), logits.length));
            assertEquals(expected, zero.sample(logits.clone(), logits.length));
            assertEquals(expected, negative.sample(logits.clone(), logits.length));
        }
    }

    private static int argmaxLowestId(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    // ---- each filter alone -------------------------------------------------------------------------------

    @Test
    void topKAloneKeepsTheKHighest() {
        assertArrayEquals(new int[] {1, 3}, survivors(SamplerChain.builder().topK(2).build(), 1, 5, 3, 5, 2));
        assertArrayEquals(new int[] {1, 2, 3}, survivors(SamplerChain.builder().topK(3).build(), 1, 5, 3, 5, 2));
        assertArrayEquals(new int[] {0, 1}, survivors(SamplerChain.builder().topK(2).build(), 4, 4, 4, 1),
                "ties at the cut keep the lowest ids");
        assertArrayEquals(new int[] {0, 1, 2}, survivors(SamplerChain.builder().topK(10).build(), 1, 2, 3),
                "k above the vocabulary keeps everything");
        assertArrayEquals(new int[] {0, 1, 2}, survivors(SamplerChain.builder().topK(0).build(), 1, 2, 3),
                "0 = off");
        float ninf = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new int[] {1, 2}, survivors(SamplerChain.builder().topK(3).build(), ninf, 1, 2, ninf),
                "k above the number of unmasked tokens keeps the unmasked ones");
    }

    @Test
    void topPAloneKeepsTheSmallestPrefixReachingP() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        assertArrayEquals(new int[] {0}, survivors(SamplerChain.builder().topP(0.4f).build(), logits));
        assertArrayEquals(new int[] {0, 1}, survivors(SamplerChain.builder().topP(0.75f).build(), logits));
        assertArrayEquals(new int[] {0, 1, 2}, survivors(SamplerChain.builder().topP(0.85f).build(), logits));
        assertArrayEquals(new int[] {0, 1, 2, 3}, survivors(SamplerChain.builder().topP(1f).build(), logits));
    }

    @Test
    void topPIsOrderIndependentOfTokenIds() {
        float[] logits = logitsOf(0.05, 0.3, 0.15, 0.5); // same distribution, shuffled ids
        assertArrayEquals(new int[] {1, 3}, survivors(SamplerChain.builder().topP(0.75f).build(), logits));
    }

    @Test
    void minPAloneDropsTokensBelowAFractionOfTheMax() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        assertArrayEquals(new int[] {0, 1, 2}, survivors(SamplerChain.builder().minP(0.2f).build(), logits));
        assertArrayEquals(new int[] {0, 1}, survivors(SamplerChain.builder().minP(0.5f).build(), logits));
        assertArrayEquals(new int[] {0}, survivors(SamplerChain.builder().minP(1f).build(), logits));
        assertArrayEquals(new int[] {0, 1, 2, 3}, survivors(SamplerChain.builder().minP(0f).build(), logits));
    }

    @Test
    void topPIsMeasuredAfterTopK() {
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);
        // Alone: 0.4, 0.7, 0.9 -> the third token is needed to reach 0.75.
        assertArrayEquals(new int[] {0, 1, 2}, survivors(SamplerChain.builder().topP(0.75f).build(), logits));
        // After top-3 the mass renormalises to 0.444, 0.778: two tokens suffice.
        assertArrayEquals(new int[] {0, 1}, survivors(SamplerChain.builder().topK(3).topP(0.75f).build(), logits));
    }

    @Test
    void filtersMatchABruteForceReferenceOnLargeVocabularies() {
        SplittableRandom random = new SplittableRandom(11);
        int vocab = 3000;
        int[] ks = {0, 1, 40, 2999, 5000};
        float[] ps = {1f, 0.95f, 0.5f, 0.01f};
        float[] minPs = {0f, 0.05f, 0.3f};
        for (int round = 0; round < 3; round++) {
            float[] logits = new float[vocab];
            for (int i = 0; i < vocab; i++) logits[i] = (float) (random.nextGaussian() * (1 + round * 3));
            logits[random.nextInt(vocab)] = Float.NEGATIVE_INFINITY;
            for (int k : ks)
                for (float p : ps)
                    for (float m : minPs) {
                        SamplerChain chain = SamplerChain.builder().topK(k).topP(p).minP(m).build();
                        assertArrayEquals(reference(logits, k, p, m), chain.candidateIds(logits.clone(), vocab),
                                "k=" + k + " p=" + p + " minP=" + m + " round=" + round);
                    }
        }
    }

    @Test
    void filtersMatchTheReferenceAtFullLlamaVocabulary() {
        SplittableRandom random = new SplittableRandom(12);
        int vocab = 128_256;
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (float) (random.nextGaussian() * 2.5);
        for (int j = 0; j < 8; j++) logits[random.nextInt(vocab)] = 9f + j * 0.5f;
        int[][] settings = {{40, 95, 5}, {0, 95, 0}, {0, 99, 0}, {0, 100, 5}, {1000, 90, 1}};
        for (int[] s : settings) {
            float p = s[1] / 100f;
            float m = s[2] / 100f;
            SamplerChain chain = SamplerChain.builder().topK(s[0]).topP(p).minP(m).build();
            assertArrayEquals(reference(logits, s[0], p, m), chain.candidateIds(logits.clone(), vocab),
                    "k=" + s[0] + " p=" + p + " minP=" + m);
        }
    }

    /** Straightforward full-sort implementation of top-k -> top-p -> min-p. */
    private static int[] reference(float[] logits, int k, float p, float minP) {
        Integer[] order = IntStream.range(0, logits.length).filter(i -> logits[i] != Float.NEGATIVE_INFINITY)
                .boxed().sorted(Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i))
                .toArray(Integer[]::new);
        int n = k > 0 ? Math.min(k, order.length) : order.length;
        double max = logits[order[0]];
        double total = 0;
        for (int i = 0; i < n; i++) total += Math.exp(logits[order[i]] - max);
        if (p < 1f) {
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += Math.exp(logits[order[i]] - max);
                if (cumulative >= p * total) {
                    n = i + 1;
                    break;
                }
            }
        }
        double floor = minP > 0 ? max + Math.log(minP) : Double.NEGATIVE_INFINITY;
        return Arrays.stream(order, 0, n).mapToInt(Integer::intValue).filter(i -> logits[i] >= floor).sorted()
                .toArray();
    }

    @Test
    void sortKeysOrderByLogitThenIdAndRoundTrip() {
        float[] values = {-Float.MAX_VALUE, -3.5f, -1e-30f, 0f, 1e-30f, 2f, 2.5f, Float.MAX_VALUE};
        for (int i = 0; i + 1 < values.length; i++) {
            assertTrue(CandidateSet.key(values[i + 1], 9) < CandidateSet.key(values[i], 0), "higher logit first");
            assertEquals(values[i], CandidateSet.logitOf(CandidateSet.key(values[i], 123)));
        }
        assertTrue(CandidateSet.key(1f, 3) < CandidateSet.key(1f, 4), "lower id first on ties");
        assertEquals(CandidateSet.key(0f, 5), CandidateSet.key(-0f, 5));
        assertEquals(131_000, (int) CandidateSet.key(-7f, 131_000));
    }

    // ---- penalties -------------------------------------------------------------------------------------

    @Test
    void penaltiesFollowLlamaCppMath() {
        SamplerChain chain = SamplerChain.builder().greedy().repetitionPenalty(2f, 64).frequencyPenalty(0.5f)
                .presencePenalty(0.25f).build();
        chain.accept(0);
        chain.accept(1);
        chain.accept(0);
        float[] logits = {2f, -2f, 1f, 0.5f};
        assertEquals(2, chain.sample(logits, 4));
        // token 0: 2 / 2 - 2 * 0.5 - 0.25; token 1: -2 * 2 - 1 * 0.5 - 0.25; others untouched.
        assertArrayEquals(new float[] {-0.25f, -4.75f, 1f, 0.5f}, logits);
    }

    @Test
    void penaltiesOnlySeeTheLastNTokens() {
        SamplerChain chain = SamplerChain.builder().greedy().repetitionPenalty(10f, 2).build();
        chain.accept(0);
        chain.accept(1);
        chain.accept(2); // pushes token 0 out of the window
        float[] logits = {1f, 1f, 1f, 1f};
        chain.sample(logits, 4);
        assertArrayEquals(new float[] {1f, 0.1f, 0.1f, 1f}, logits);
    }

    @Test
    void penaltiesIgnoreTokensOutsideTheVocabularyAndResetClearsHistory() {
        SamplerChain chain = SamplerChain.builder().greedy().repetitionPenalty(2f, 8).presencePenalty(1f).build();
        chain.accept(7);
        chain.accept(1);
        float[] logits = {3f, 3f, 3f};
        assertEquals(0, chain.sample(logits, 3));
        assertArrayEquals(new float[] {3f, 0.5f, 3f}, logits);
        chain.reset();
        float[] fresh = {3f, 3f, 3f};
        chain.sample(fresh, 3);
        assertArrayEquals(new float[] {3f, 3f, 3f}, fresh);
    }

    @Test
    void windowOfZeroSwitchesAllPenaltiesOff() {
        SamplerChain chain = SamplerChain.builder().greedy().repetitionPenalty(3f, 0).frequencyPenalty(1f)
                .presencePenalty(1f).build();
        chain.accept(0);
        float[] logits = {2f, 1f};
        assertEquals(0, chain.sample(logits, 2));
        assertArrayEquals(new float[] {2f, 1f}, logits);
    }

    @Test
    void repetitionPenaltyChangesTheGreedyChoice() {
        SamplerChain chain = SamplerChain.builder().greedy().repetitionPenalty(1.5f, 64).build();
        chain.accept(0);
        assertEquals(1, chain.sample(new float[] {3f, 2.5f}, 2));
    }

    // ---- randomness --------------------------------------------------------------------------------------

    @Test
    void sameSeedSameTokens() {
        SamplingParams params = SamplingParams.defaults().withSeed(42);
        int[] first = generate(SamplerChain.from(params), 300);
        int[] second = generate(SamplerChain.from(params), 300);
        assertArrayEquals(first, second);
        assertNotEquals(Arrays.toString(first), Arrays.toString(generate(SamplerChain.from(params.withSeed(43)), 300)));
    }

    @Test
    void resetRestartsTheSequence() {
        SamplerChain chain = SamplerChain.builder().temperature(1.2f).repetitionPenalty(1.3f, 16).seed(5).build();
        int[] first = generate(chain, 100);
        chain.reset();
        assertArrayEquals(first, generate(chain, 100));
    }

    /** Feeds the chain a deterministic stream of logits and its own tokens, like a decode loop. */
    private static int[] generate(SamplerChain chain, int steps) {
        SplittableRandom logitSource = new SplittableRandom(99);
        int vocab = 1000;
        float[] logits = new float[vocab];
        int[] tokens = new int[steps];
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < vocab; i++) logits[i] = (float) (logitSource.nextGaussian() * 2);
            tokens[s] = chain.sample(logits, vocab);
            chain.accept(tokens[s]);
        }
        return tokens;
    }

    @Test
    void temperatureOneMatchesSoftmax() {
        float[] logits = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 2.0f};
        assertChiSquareFits(SamplerChain.builder().temperature(1f).seed(1234).build(), logits, 1f);
    }

    @Test
    void temperatureScalesTheDistribution() {
        float[] logits = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 2.0f};
        assertChiSquareFits(SamplerChain.builder().temperature(0.5f).seed(77).build(), logits, 0.5f);
        assertChiSquareFits(SamplerChain.builder().temperature(2f).seed(78).build(), logits, 2f);
    }

    private static void assertChiSquareFits(SamplerChain chain, float[] logits, float temperature) {
        assertDrawsFollow(chain, logits, softmax(logits, temperature));
    }

    /**
     * Pearson chi-square of 120k draws against the expected probabilities. The bound, dof + 6 sqrt(2 dof), sits
     * far in the tail (about 1e-4 for 5 dof); with fixed seeds the outcome is deterministic, not flaky.
     */
    private static void assertDrawsFollow(SamplerChain chain, float[] logits, double[] expectedP) {
        int draws = 120_000;
        long[] observed = new long[logits.length];
        for (int d = 0; d < draws; d++) observed[chain.sample(logits.clone(), logits.length)]++;
        double chiSquare = 0;
        int categories = 0;
        for (int i = 0; i < expectedP.length; i++) {
            if (expectedP[i] == 0) {
                assertEquals(0, observed[i], "token " + i + " has probability 0 but was drawn");
                continue;
            }
            double expected = expectedP[i] * draws;
            chiSquare += (observed[i] - expected) * (observed[i] - expected) / expected;
            categories++;
        }
        int dof = categories - 1;
        double bound = dof + 6 * Math.sqrt(2.0 * dof);
        assertTrue(chiSquare < bound, "chi-square " + chiSquare + " >= " + bound + ", observed "
                + Arrays.toString(observed) + ", expected p " + Arrays.toString(expectedP));
    }

    @Test
    void filteredDrawsFollowTheRenormalisedSoftmax() {
        float[] logits = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 2.0f};
        // top-k 3 keeps tokens 4, 1, 5; temperature 1.5 then applies to those three only.
        double[] kept = softmax(new float[] {2.0f, 3.0f, 2.0f}, 1.5f);
        double[] expected = {0, kept[0], 0, 0, kept[1], kept[2]};
        assertDrawsFollow(SamplerChain.builder().topK(3).temperature(1.5f).seed(21).build(), logits, expected);
    }

    private static double[] softmax(float[] logits, float temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[logits.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) total += p[i] = Math.exp((logits[i] - max) / temperature);
        for (int i = 0; i < p.length; i++) p[i] /= total;
        return p;
    }

    @Test
    void filteredSamplingOnlyReturnsSurvivors() {
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);
        SamplerChain chain = SamplerChain.builder().topK(3).topP(0.75f).temperature(5f).seed(3).build();
        boolean[] seen = new boolean[4];
        for (int d = 0; d < 5000; d++) seen[chain.sample(logits.clone(), 4)] = true;
        assertArrayEquals(new boolean[] {true, true, false, false}, seen);
    }

    // ---- special numbers and invalid input ---------------------------------------------------------------

    @Test
    void nanLogitsAreTreatedAsNegativeInfinity() {
        float nan = Float.NaN;
        assertEquals(1, SamplerChain.builder().greedy().build().sample(new float[] {nan, 0.5f, nan, 0.2f}, 4));
        SamplerChain sampling = SamplerChain.builder().temperature(1f).seed(9).build();
        for (int d = 0; d < 2000; d++) {
            int token = sampling.sample(new float[] {nan, 0f, nan, 0f, nan}, 5);
            assertTrue(token == 1 || token == 3, "sampled a NaN token: " + token);
        }
        float[] logits = {nan, 1f};
        sampling.sample(logits, 2);
        assertEquals(Float.NEGATIVE_INFINITY, logits[0], "the rewrite is visible in the caller's buffer");
    }

    @Test
    void maskedAndInfiniteLogits() {
        float inf = Float.POSITIVE_INFINITY;
        SamplerChain chain = SamplerChain.builder().temperature(1f).topP(0.9f).seed(4).build();
        for (int d = 0; d < 100; d++) assertEquals(2, chain.sample(new float[] {0f, 50f, inf, 10f}, 4));
        for (int d = 0; d < 100; d++)
            assertEquals(1, chain.sample(new float[] {-inf, 0f, -inf}, 3), "-Infinity masks a token");
    }

    @Test
    void noUsableLogitIsAnError() {
        SamplerChain chain = SamplerChain.builder().build();
        assertMessage(() -> chain.sample(new float[] {Float.NaN, Float.NEGATIVE_INFINITY}, 2), "NaN or -Infinity");
        assertMessage(() -> SamplerChain.builder().greedy().build().sample(new float[] {Float.NaN}, 1), "NaN");
    }

    @Test
    void invalidParametersAreRejectedWithClearMessages() {
        assertMessage(() -> SamplerChain.builder().topK(-1), "top-k must be >= 0");
        assertMessage(() -> SamplerChain.builder().topP(0f), "top-p must be in (0, 1]");
        assertMessage(() -> SamplerChain.builder().topP(1.01f), "top-p must be in (0, 1]");
        assertMessage(() -> SamplerChain.builder().topP(Float.NaN), "top-p must be in (0, 1]");
        assertMessage(() -> SamplerChain.builder().minP(-0.1f), "min-p must be in [0, 1]");
        assertMessage(() -> SamplerChain.builder().minP(2f), "min-p must be in [0, 1]");
        assertMessage(() -> SamplerChain.builder().temperature(Float.NaN), "temperature");
        assertMessage(() -> SamplerChain.builder().repetitionPenalty(0f, 64), "repetition penalty");
        assertMessage(() -> SamplerChain.builder().repetitionPenalty(1.1f, -1), "lastN");
        assertMessage(() -> SamplerChain.builder().repetitionPenalty(1.1f, Integer.MAX_VALUE), "lastN must be <=");
        assertMessage(() -> SamplerChain.builder().frequencyPenalty(Float.NaN), "frequency penalty");
        assertMessage(() -> SamplerChain.builder().presencePenalty(Float.POSITIVE_INFINITY), "presence penalty");
        SamplingParams bad = new SamplingParams(0.8f, -5, 0.95f, 0.05f, 1f, 64, 0f, 0f, 1L);
        assertMessage(() -> SamplerChain.from(bad), "top-k must be >= 0, got -5".replace(", got", " (0 = off), got"));
        SamplerChain chain = SamplerChain.builder().build();
        assertMessage(() -> chain.sample(new float[3], 4), "logits.length 3 < vocabSize 4");
        assertMessage(() -> chain.sample(new float[3], 0), "vocabSize must be > 0");
        assertMessage(() -> chain.accept(-1), "token id must be >= 0");
    }

    private static void assertMessage(Executable call, String expectedPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), "message '" + e.getMessage() + "' lacks '" + expectedPart + "'");
    }

    @Test
    void paramsPresets() {
        SamplingParams d = SamplingParams.defaults();
        assertEquals(0.8f, d.temperature());
        assertEquals(40, d.topK());
        assertEquals(0.95f, d.topP());
        assertEquals(0.05f, d.minP());
        assertEquals(1f, d.repeatPenalty());
        assertEquals(64, d.repeatLastN());
        assertTrue(SamplerChain.from(SamplingParams.greedyParams()).isGreedy());
        assertTrue(!SamplerChain.from(d).isGreedy());
    }
}
