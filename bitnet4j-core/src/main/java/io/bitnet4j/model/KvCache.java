package io.bitnet4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The key/value cache of one session: per layer, K and V rows of kvDim values per position. Memory grows with the
 * positions actually used: a layer holds its rows in blocks of {@link #BLOCK} positions, each allocated when the
 * first of its positions is stored, so a 200-token chat at context 4096 holds one block per layer, not 16. F16 by
 * default, as bitnet.cpp stores it (the rounding is part of the model's numerics), or 8-bit with a scale per 32
 * values ({@link CacheType#Q8}).
 */
final class KvCache {

    /** Positions per allocation. 256 x 640 (2B4T's kvDim) x 2 bytes = 320 KiB per K or V block. */
    static final int BLOCK = 256;
    private static final int BLOCK_SHIFT = Integer.numberOfTrailingZeros(BLOCK); // BLOCK is a power of two

    /** K and V of one layer: whole-context addressing over blocks allocated on demand. */
    abstract static class Layer {
        final int contextLength, kvDim, headDim;
        private final java.util.function.LongConsumer held;

        Layer(int contextLength, int kvDim, int headDim, java.util.function.LongConsumer held) {
            this.contextLength = contextLength;
            this.kvDim = kvDim;
            this.headDim = headDim;
            this.held = held;
        }

        /** Stores the (rotated) K row and the V row of one position. */
        abstract void store(int pos, MemorySegment k, long kOff, MemorySegment v, long vOff);

        /** K of positions [from, from+n) of one KV head as floats, dst[j*headDim + d]; the positions must be stored. */
        abstract void keys(int from, int n, int kvHead, float[] dst);

        abstract void values(int from, int n, int kvHead, float[] dst);

        /** Drops the blocks holding only positions at or after {@code position}. */
        abstract void release(int position);

        /** Positions in block b (the last block may be short). */
        final int blockLength(int b) {
            return Math.min(BLOCK, contextLength - b * BLOCK);
        }

        final void checkPosition(int pos) {
            if (pos < 0 || pos >= contextLength)
                throw new IndexOutOfBoundsException("position " + pos + " outside the cache's context of " + contextLength);
        }

        final void counted(long bytes) {
            held.accept(bytes);
        }
    }

    /**
     * F16 values, as bitnet.cpp keeps them, 2 bytes each. A block is head-major, [kvHead][position][headDim]: the rows
     * one attention unit reads are contiguous, so the conversion to floats runs as one long loop the JIT vectorises
     * (position-major rows of 128 values converted at a third of that speed: decode at depth 3072 spent half its
     * attention time there).
     */
    static final class F16Layer extends Layer {
        private final short[][] keys, values;

        F16Layer(int contextLength, int kvDim, int headDim, java.util.function.LongConsumer held) {
            super(contextLength, kvDim, headDim, held);
            int blocks = (contextLength + BLOCK - 1) / BLOCK;
            keys = new short[blocks][];
            values = new short[blocks][];
        }

        @Override
        void store(int pos, MemorySegment k, long kOff, MemorySegment v, long vOff) {
            checkPosition(pos);
            int b = pos >>> BLOCK_SHIFT, length = blockLength(b), row = pos & (BLOCK - 1);
            if (keys[b] == null) {
                keys[b] = new short[length * kvDim];
                values[b] = new short[length * kvDim];
                counted(4L * length * kvDim);
            }
            for (int h = 0; h < kvDim / headDim; h++) {
                int at = (h * length + row) * headDim;
                Ops.toF16(k, kOff + (long) h * headDim, keys[b], at, headDim);
                Ops.toF16(v, vOff + (long) h * headDim, values[b], at, headDim);
            }
        }

        @Override
        void keys(int from, int n, int kvHead, float[] dst) {
            convert(keys, from, n, kvHead, dst);
        }

        @Override
        void values(int from, int n, int kvHead, float[] dst) {
            convert(values, from, n, kvHead, dst);
        }

        /** One contiguous conversion per block the positions touch. */
        private void convert(short[][] src, int from, int n, int kvHead, float[] dst) {
            for (int j = 0; j < n; ) {
                int pos = from + j, b = pos >>> BLOCK_SHIFT, row = pos & (BLOCK - 1), length = blockLength(b);
                int count = Math.min(n - j, length - row);
                Ops.fromF16(src[b], (kvHead * length + row) * headDim, dst, j * headDim, count * headDim);
                j += count;
            }
        }

        @Override
        void release(int position) {
            for (int b = (position + BLOCK - 1) >>> BLOCK_SHIFT; b < keys.length; b++)
                if (keys[b] != null) {
                    counted(-4L * blockLength(b) * kvDim);
                    keys[b] = null;
                    values[b] = null;
                }
        }
    }

    /**
     * 8-bit rows in groups of {@link #Q8_GROUP} values, each with an F16 scale: llama.cpp's q8_0 block
     * (d = max|x| / 127, q = round(x / d) half away from zero, x' = q * d).
     */
    static final class Q8Layer extends Layer {
        static final int Q8_GROUP = 32;
        private final byte[][] keys, values;
        private final short[][] keyScales, valueScales;
        private final int groups; // per row

        Q8Layer(int contextLength, int kvDim, int headDim, java.util.function.LongConsumer held) {
            super(contextLength, kvDim, headDim, held);
            if (headDim % Q8_GROUP != 0)
                throw new IllegalArgumentException("the q8 cache needs a head size that is a multiple of " + Q8_GROUP + ", got " + headDim);
            int blocks = (contextLength + BLOCK - 1) / BLOCK;
            keys = new byte[blocks][];
            values = new byte[blocks][];
            keyScales = new short[blocks][];
            valueScales = new short[blocks][];
            groups = kvDim / Q8_GROUP;
        }

        @Override
        void store(int pos, MemorySegment k, long kOff, MemorySegment v, long vOff) {
            checkPosition(pos);
            int b = pos >>> BLOCK_SHIFT, row = pos & (BLOCK - 1);
            if (keys[b] == null) {
                int n = blockLength(b);
                keys[b] = new byte[n * kvDim];
                values[b] = new byte[n * kvDim];
                keyScales[b] = new short[n * groups];
                valueScales[b] = new short[n * groups];
                counted(2L * n * (kvDim + 2L * groups));
            }
            int length = blockLength(b);
            quantize(k, kOff, keys[b], keyScales[b], row, length);
            quantize(v, vOff, values[b], valueScales[b], row, length);
        }

        /** One position's groups, each into its head's rows: head-major like the F16 blocks, [kvHead][position][...]. */
        private void quantize(MemorySegment src, long off, byte[] codes, short[] scales, int row, int length) {
            int perHead = headDim / Q8_GROUP;
            for (int g = 0; g < groups; g++) {
                long from = off + (long) g * Q8_GROUP;
                float max = 0;
                for (int i = 0; i < Q8_GROUP; i++) max = Math.max(max, Math.abs(src.getAtIndex(JAVA_FLOAT_UNALIGNED, from + i)));
                float d = max / 127f, id = d != 0 ? 1f / d : 0f;
                int head = g / perHead, group = (head * length + row) * perHead + g % perHead;
                int at = group * Q8_GROUP;
                for (int i = 0; i < Q8_GROUP; i++) codes[at + i] = (byte) roundHalfAway(src.getAtIndex(JAVA_FLOAT_UNALIGNED, from + i) * id);
                scales[group] = Float.floatToFloat16(d);
            }
        }

        /** C's roundf: halves away from zero. */
        static int roundHalfAway(float x) {
            return (int) Math.copySign(Math.floor(Math.abs(x) + 0.5f), x);
        }

        @Override
        void keys(int from, int n, int kvHead, float[] dst) {
            convert(keys, keyScales, from, n, kvHead, dst);
        }

        @Override
        void values(int from, int n, int kvHead, float[] dst) {
            convert(values, valueScales, from, n, kvHead, dst);
        }

        /** Per block the positions touch, its head's groups in one run: each group's 32 codes times its scale. */
        private void convert(byte[][] codes, short[][] scales, int from, int n, int kvHead, float[] dst) {
            int perHead = headDim / Q8_GROUP;
            for (int j = 0; j < n; ) {
                int pos = from + j, b = pos >>> BLOCK_SHIFT, row = pos & (BLOCK - 1), length = blockLength(b);
                int count = Math.min(n - j, length - row), first = (kvHead * length + row) * perHead;
                dequantize(codes[b], scales[b], first, count * perHead, dst, j * headDim);
                j += count;
            }
        }

        private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.length() * 8));

        /** dst[out..) = code * scale for groups [first, first + count): lanes of FLOATS.length() bytes widened to floats. */
        private static void dequantize(byte[] codes, short[] scales, int first, int count, float[] dst, int out) {
            boolean vector = Q8_GROUP % FLOATS.length() == 0;
            for (int g = 0; g < count; g++) {
                float d = Float.float16ToFloat(scales[first + g]);
                int at = (first + g) * Q8_GROUP, to = out + g * Q8_GROUP, i = 0;
                if (vector)
                    for (; i < Q8_GROUP; i += FLOATS.length())
                        ((FloatVector) ByteVector.fromArray(BYTES, codes, at + i).convertShape(VectorOperators.B2F, FLOATS, 0)).mul(d)
                                .intoArray(dst, to + i);
                for (; i < Q8_GROUP; i++) dst[to + i] = codes[at + i] * d;
            }
        }

        @Override
        void release(int position) {
            for (int b = (position + BLOCK - 1) >>> BLOCK_SHIFT; b < keys.length; b++)
                if (keys[b] != null) {
                    counted(-2L * blockLength(b) * (kvDim + 2L * groups));
                    keys[b] = null;
                    values[b] = null;
                    keyScales[b] = null;
                    valueScales[b] = null;
                }
        }
    }

    private final Layer[] layers;
    private final AtomicLong held = new AtomicLong();

    /** A cache whose allocations are also added to {@code total} (the model's count over its sessions). */
    KvCache(ModelConfig c, int contextLength, CacheType type, AtomicLong total) {
        java.util.function.LongConsumer held = n -> {
            this.held.addAndGet(n);
            total.addAndGet(n);
        };
        layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++)
            layers[i] = switch (type) {
                case F16 -> new F16Layer(contextLength, c.kvDim(), c.headDim(), held);
                case Q8 -> new Q8Layer(contextLength, c.kvDim(), c.headDim(), held);
            };
    }

    Layer layer(int i) {
        return layers[i];
    }

    /** Bytes of K and V rows allocated now (any thread may ask). */
    long bytes() {
        return held.get();
    }

    /** Frees the blocks holding only positions at or after {@code position} (after a truncation or reset). */
    void release(int position) {
        for (Layer l : layers) l.release(position);
    }

    /** Bytes a full cache would hold: K and V, per layer and position kvDim values of 2 bytes (F16) or 1 + 2/32 (q8). */
    static long bytes(ModelConfig c, int contextLength, CacheType type) {
        long perRow = type == CacheType.F16 ? 2L * c.kvDim() : c.kvDim() + 2L * (c.kvDim() / Q8Layer.Q8_GROUP);
        return 2 * perRow * c.layers() * contextLength;
    }
}
