package io.bitnet4j.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge loop over one pre-token: repeatedly merge the adjacent pair with the lowest merge rank (the
 * leftmost one when the same pair occurs several times) until no adjacent pair has a rank.
 *
 * <p>Symbols live in a doubly linked list over array slots; candidate pairs sit in a binary min-heap keyed by
 * (rank, left slot), so a pre-token of n bytes costs O(n log n) rather than the O(n²) of rescanning all pairs
 * after every merge (long pre-tokens do occur, e.g. a run of CJK letters is a single \p{L}+ match). Heap
 * entries are not removed when a merge changes their neighbours; instead a popped entry is re-validated.
 */
final class Bpe {

    private Bpe() {}

    static int[] merge(int[] symbols, MergeTable merges) {
        int n = symbols.length;
        if (n < 2) {
            return symbols;
        }
        int[] sym = symbols; // sym[i] == -1 marks a slot absorbed into its left neighbour
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            pushPair(heap, merges, sym, i, i + 1);
        }
        int remaining = n;
        while (!heap.isEmpty()) {
            long entry = heap.pop();
            int rank = (int) (entry >>> 32);
            int left = (int) entry;
            int right = next[left];
            if (sym[left] < 0 || right < 0 || merges.rank(sym[left], sym[right]) != rank) {
                continue; // stale: one side was merged away since this pair was queued
            }
            sym[left] = merges.result(rank);
            sym[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            remaining--;
            if (prev[left] >= 0) {
                pushPair(heap, merges, sym, prev[left], left);
            }
            if (next[left] >= 0) {
                pushPair(heap, merges, sym, left, next[left]);
            }
        }
        int[] out = new int[remaining];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = sym[i];
        }
        return out;
    }

    private static void pushPair(LongHeap heap, MergeTable merges, int[] sym, int left, int right) {
        int rank = merges.rank(sym[left], sym[right]);
        if (rank >= 0) {
            heap.push(((long) rank << 32) | left);
        }
    }

    /** Binary min-heap of longs; (rank << 32 | slot) orders by rank, then by leftmost slot. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) {
                    break;
                }
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && a[child + 1] < a[child]) {
                    child++;
                }
                if (a[child] >= last) {
                    break;
                }
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }
}
