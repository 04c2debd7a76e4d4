package io.bitnet4j.cli;

import io.bitnet4j.model.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's sustained memory read bandwidth: a buffer far larger than the caches, read end to end by
 * the given number of threads, best of several passes. Decoding reads every weight byte once per token, so
 * bandwidth / bytes-per-token is the speed ceiling (the roofline) a decode result is compared with.
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {}

    /** Bytes per second reading {@code bytes} with {@code threads} threads, best of {@code passes}. */
    static double measure(long bytes, int threads, int passes) {
        try (Arena arena = Arena.ofShared(); Parallel pool = new Parallel(threads)) {
            // the same kind of memory the weights are read into (huge pages), so the roofline compares like with like
            MemorySegment buffer = io.bitnet4j.util.AnonymousMemory.allocate(bytes, arena);
            buffer.fill((byte) 1); // touch every page so the first pass does not measure page faults
            long[] sink = new long[threads];
            double best = 0;
            for (int p = 0; p < passes; p++) {
                long start = System.nanoTime();
                pool.forEachSlice((slice, slices) -> {
                    long chunk = bytes / slices / 4096 * 4096;
                    long from = slice * chunk, to = slice == slices - 1 ? bytes : from + chunk;
                    sink[slice] += sum(buffer, from, to);
                });
                best = Math.max(best, bytes / ((System.nanoTime() - start) / 1e9));
            }
            if (sink[0] == 42) System.err.print(""); // keeps the reads from being optimised away
            return best;
        }
    }

    /** Sum of the longs in [from, to): the cheapest work that still reads every byte. */
    private static long sum(MemorySegment s, long from, long to) {
        LongVector acc0 = LongVector.zero(L), acc1 = LongVector.zero(L);
        long step = L.vectorByteSize();
        long i = from;
        for (; i + 2 * step <= to; i += 2 * step) {
            acc0 = acc0.add(LongVector.fromMemorySegment(L, s, i, ByteOrder.LITTLE_ENDIAN));
            acc1 = acc1.add(LongVector.fromMemorySegment(L, s, i + step, ByteOrder.LITTLE_ENDIAN));
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
