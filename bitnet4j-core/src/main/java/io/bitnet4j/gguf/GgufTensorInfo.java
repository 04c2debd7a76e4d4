package io.bitnet4j.gguf;

import java.util.Arrays;

/**
 * One tensor of a GGUF file.
 *
 * @param name       tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param shape      ggml dimensions, ne0 (the contiguous/input dimension) first
 * @param type       element type
 * @param dataOffset absolute byte offset of the data in the file (not relative to the data section)
 * @param byteSize   exact number of bytes the data occupies ({@link GgufType#byteSize})
 */
public record GgufTensorInfo(String name, long[] shape, GgufType type, long dataOffset, long byteSize) {
    public GgufTensorInfo {
        shape = shape.clone();
    }

    /** The shape (a copy, so callers cannot change this record). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Dimension i (ne_i), or 1 past the rank, as ggml treats missing dimensions. */
    public long dim(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    /** Product of the dimensions. */
    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(shape, t.shape) && type == t.type
                && dataOffset == t.dataOffset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + type + " @" + dataOffset + " +" + byteSize;
    }
}
