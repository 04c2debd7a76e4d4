package io.bitnet4j.model;

import java.lang.foreign.MemorySegment;

/**
 * The F16 key/value cache of one session: per layer, K and V rows of kvDim values for every position, in
 * position-major order (row j at j*kvDim). F16, as bitnet.cpp stores it: halves the memory, and the
 * rounding is part of the model's numerics.
 */
final class KvCache {

    /** K and V of one layer. */
    static final class Layer {
        private final short[] keys, values;
        private final int kvDim, headDim;

        Layer(int contextLength, int kvDim, int headDim) {
            this.keys = new short[contextLength * kvDim];
            this.values = new short[contextLength * kvDim];
            this.kvDim = kvDim;
            this.headDim = headDim;
        }

        /** Stores the (rotated) K row and the V row of one position, rounding to F16. */
        void store(int pos, MemorySegment k, long kOff, MemorySegment v, long vOff) {
            Ops.toF16(k, kOff, keys, pos * kvDim, kvDim);
            Ops.toF16(v, vOff, values, pos * kvDim, kvDim);
        }

        /** Converts K of positions [from, from+n) of one KV head to floats, dst[j*headDim + d]. */
        void keys(int from, int n, int kvHead, float[] dst) {
            convert(keys, from, n, kvHead, dst);
        }

        void values(int from, int n, int kvHead, float[] dst) {
            convert(values, from, n, kvHead, dst);
        }

        private void convert(short[] src, int from, int n, int kvHead, float[] dst) {
            for (int j = 0; j < n; j++) Ops.fromF16(src, (from + j) * kvDim + kvHead * headDim, dst, j * headDim, headDim);
        }
    }

    private final Layer[] layers;

    KvCache(ModelConfig c, int contextLength) {
        layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) layers[i] = new Layer(contextLength, c.kvDim(), c.headDim());
    }

    Layer layer(int i) {
        return layers[i];
    }

    /** Bytes held: 2 (K, V) x layers x context x kvDim x 2 bytes. */
    static long bytes(ModelConfig c, int contextLength) {
        return 4L * c.layers() * contextLength * c.kvDim();
    }
}
