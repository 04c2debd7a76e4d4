package io.bitnet4j.sampling;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Allocation bound and a rough (JMH-free) timing print at a Llama-3-sized vocabulary. */
class SamplerPerformanceTest {
    private static final int VOCAB = 128_256;
    private static final int WARM_UP = 1_000;
    private static final int MEASURED = 1_000;
    /** The timing print is informational; fewer calls keep the suite quick on a shared machine. */
    private static final int TIMED = 300;

    /** Llama-like logits: a broad Gaussian body with a few clear favourites. */
    private static float[] realisticLogits(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] logits = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) logits[i] = (float) (random.nextGaussian() * 2.5);
        for (int j = 0; j < 8; j++) logits[random.nextInt(VOCAB)] = 12f + j;
        return logits;
    }

    private static SamplerChain[] configurations() {
        return new SamplerChain[] {
            SamplerChain.from(SamplingParams.defaults().withSeed(1), VOCAB),
            SamplerChain.from(SamplingParams.greedyParams()),
            SamplerChain.builder().topP(0.95f).temperature(0.8f).seed(2).build(),        // top-k off: histogram path
            SamplerChain.builder().temperature(1f).seed(3).build(),                      // no filters at all
            SamplerChain.builder().repetitionPenalty(1.1f, 64).frequencyPenalty(0.1f).presencePenalty(0.1f)
                    .topK(40).topP(0.9f).minP(0.05f).seed(4).build(),
        };
    }

    @Test
    void sampleAllocatesNothingAfterWarmUp() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[] source = realisticLogits(5);
        float[] logits = new float[VOCAB];
        for (SamplerChain chain : configurations()) {
            run(chain, source, logits, WARM_UP);
            long before = threads.getCurrentThreadAllocatedBytes();
            run(chain, source, logits, MEASURED);
            long perCall = (threads.getCurrentThreadAllocatedBytes() - before) / MEASURED;
            assertTrue(perCall < 1024, "sample() allocated " + perCall + " bytes per call");
        }
    }

    @Test
    void printNanosecondsPerSample() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[] source = realisticLogits(6);
        float[] logits = new float[VOCAB];
        String[] names = {"defaults (k40 p.95 minp.05 t.8)", "greedy", "top-p .95 only", "no filters t1",
            "penalties + k40 p.9 minp.05"};
        SamplerChain[] chains = configurations();
        long copyNs = nanosPerBufferRefresh(source, logits);
        // Wall time suffers from other processes on a shared machine; thread CPU time much less so.
        System.out.printf("sampling vocab %d: figures include a %,d ns buffer refresh per call%n", VOCAB, copyNs);
        for (int c = 0; c < chains.length; c++) {
            run(chains[c], source, logits, TIMED);
            long wall = System.nanoTime();
            long cpu = threads.getCurrentThreadCpuTime();
            run(chains[c], source, logits, TIMED);
            long cpuNs = (threads.getCurrentThreadCpuTime() - cpu) / TIMED;
            long wallNs = (System.nanoTime() - wall) / TIMED;
            System.out.printf("sampling vocab %d, %-32s %,9d ns/sample CPU, %,9d ns/sample wall%n", VOCAB,
                    names[c], cpuNs, wallNs);
        }
    }

    /** Cost of the System.arraycopy that every timed call includes, so it can be told apart. */
    private static long nanosPerBufferRefresh(float[] source, float[] logits) {
        for (int i = 0; i < TIMED; i++) System.arraycopy(source, 0, logits, 0, VOCAB);
        long start = System.nanoTime();
        for (int i = 0; i < TIMED; i++) System.arraycopy(source, 0, logits, 0, VOCAB);
        return (System.nanoTime() - start) / TIMED;
    }

    /** A decode-loop stand-in: refresh the caller-owned buffer (sample() may edit it), sample, accept. */
    private static int run(SamplerChain chain, float[] source, float[] logits, int calls) {
        int checksum = 0;
        for (int i = 0; i < calls; i++) {
            System.arraycopy(source, 0, logits, 0, VOCAB);
            int token = chain.sample(logits, VOCAB);
            chain.accept(token);
            checksum += token;
        }
        return checksum;
    }
}
