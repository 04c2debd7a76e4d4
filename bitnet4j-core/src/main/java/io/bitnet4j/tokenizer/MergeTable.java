package io.bitnet4j.tokenizer;

import java.util.Arrays;

/**
 * BPE merge ranks keyed by the pair of token ids being merged: (left, right) → rank, plus the id the merge
 * produces. An open-addressing hash table over packed {@code long} keys, because a boxed
 * {@code HashMap<Long,Integer>} for 280k LLaMA-3 merges costs several times the memory and a pointer chase per
 * lookup, and lookups are the inner loop of BPE.
 */
final class MergeTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int mask;
    /** Indexed by rank: the token id produced by that merge. */
    private final int[] resultByRank;
    private int size;

    MergeTable(int maxMerges) {
        int capacity = Integer.highestOneBit(Math.max(4, maxMerges * 2 - 1)) << 1; // load factor <= 0.5
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mask = capacity - 1;
        resultByRank = new int[Math.max(1, maxMerges)];
    }

    /** Records merge {@code rank}: left + right → result. A pair already present keeps its lower rank. */
    void put(int left, int right, int rank, int result) {
        long key = pack(left, right);
        int slot = slotOf(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return; // duplicate merge line: the first (lowest) rank wins
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = rank;
        resultByRank[rank] = result;
        size++;
    }

    /** Rank of merging {@code left} with {@code right}, or -1 if the pair never merges. */
    int rank(int left, int right) {
        long key = pack(left, right);
        int slot = slotOf(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                return ranks[slot];
            }
            if (k == EMPTY) {
                return -1;
            }
            slot = (slot + 1) & mask;
        }
    }

    int result(int rank) {
        return resultByRank[rank];
    }

    int size() {
        return size;
    }

    private static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slotOf(long key) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads the packed ids
        return (int) (h >>> 32) & mask;
    }
}
