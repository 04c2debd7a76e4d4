package io.bitnet4j.generation;

import java.util.Arrays;

/** A growable list of token ids without boxing. Not thread-safe. */
final class TokenList {
    private int[] ids = new int[64];
    private int size;

    int size() {
        return size;
    }

    void add(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
    }

    void addAll(int[] more) {
        if (size + more.length > ids.length) ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + more.length));
        System.arraycopy(more, 0, ids, size, more.length);
        size += more.length;
    }

    /** Keeps the first {@code n} ids. */
    void truncate(int n) {
        if (n < 0 || n > size) throw new IllegalArgumentException("cannot truncate " + size + " ids to " + n);
        size = n;
    }

    /** How many leading ids this list and {@code other} have in common. */
    int commonPrefix(int[] other) {
        int n = Math.min(size, other.length);
        int i = Arrays.mismatch(ids, 0, n, other, 0, n);
        return i < 0 ? n : i;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
