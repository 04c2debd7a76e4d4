package io.bitnet4j.model;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import io.bitnet4j.gguf.GgufType;
import io.bitnet4j.kernels.F16Matrix;
import io.bitnet4j.kernels.TernaryMatrix;
import io.bitnet4j.kernels.TernaryWeights;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * All tensors of a BitNet model as views over the memory-mapped GGUF file: nothing is copied. Every tensor's
 * type and shape is checked against the config before use, and tensors the architecture has no place for are
 * refused by name rather than ignored.
 *
 * @param embedding   token_embd.weight, F16 [vocab][dim]; null when it was left in the file (low memory: its
 *                    rows are read on demand)
 * @param output      the output projection, F16 [vocab][dim]: output.weight where the architecture has one and
 *                    the file carries it, else the embedding (tied); null when left in the file
 * @param outputNorm  output_norm.weight, F32 [dim]
 * @param ropeFactors per rotated pair, the divisor of its RoPE angle: rope_freqs.weight (LLaMA-3.1-style
 *                    frequency factors) where the file carries it, else all 1
 */
public record Weights(F16Matrix embedding, F16Matrix output, MemorySegment outputNorm, float[] ropeFactors, List<Layer> layers) {

    /**
     * One transformer block. Norm weights are F32 segments (the sub-norms null where the architecture has none);
     * projections are ternary: I2_S views of the file as loaded, or the copies the backend's ternary kernel reads
     * ({@link #withTernary}).
     */
    public record Layer(MemorySegment attnNorm, TernaryWeights wq, TernaryWeights wk, TernaryWeights wv,
            MemorySegment attnSubNorm, TernaryWeights wo, MemorySegment ffnNorm, TernaryWeights wGate,
            TernaryWeights wUp, MemorySegment ffnSubNorm, TernaryWeights wDown, Scales scales) {}

    /**
     * Per-projection output multipliers: the optional F32 {@code blk.N.<projection>.scale} tensors of the
     * {@code bitnet} architecture (bitnet.cpp multiplies each projection's output by its one value), else 1.
     */
    public record Scales(float q, float k, float v, float o, float gate, float up, float down) {
        public static final Scales NONE = new Scales(1, 1, 1, 1, 1, 1, 1);
    }

    /** Builds the views and validates them, reporting the layers done. */
    public static Weights load(GgufFile gguf, ModelConfig c, ProgressListener progress) throws GgufException {
        refuseUnknownTensors(gguf, c.arch());
        F16Matrix embedding = f16(gguf, "token_embd.weight", c.dim(), c.vocabSize());
        F16Matrix output = gguf.findTensor("output.weight").isPresent() ? f16(gguf, "output.weight", c.dim(), c.vocabSize()) : embedding;
        MemorySegment outputNorm = f32(gguf, "output_norm.weight", c.dim());
        float[] ropeFactors = ropeFactors(gguf, c.headDim() / 2);
        boolean sub = c.arch().subNorms();
        List<Layer> layers = new ArrayList<>(c.layers());
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            layers.add(new Layer(
                    f32(gguf, p + "attn_norm.weight", c.dim()),
                    i2s(gguf, p + "attn_q.weight", c.dim(), c.dim()),
                    i2s(gguf, p + "attn_k.weight", c.dim(), c.kvDim()),
                    i2s(gguf, p + "attn_v.weight", c.dim(), c.kvDim()),
                    sub ? f32(gguf, p + "attn_sub_norm.weight", c.dim()) : null,
                    i2s(gguf, p + "attn_output.weight", c.dim(), c.dim()),
                    f32(gguf, p + "ffn_norm.weight", c.dim()),
                    i2s(gguf, p + "ffn_gate.weight", c.dim(), c.ffnDim()),
                    i2s(gguf, p + "ffn_up.weight", c.dim(), c.ffnDim()),
                    sub ? f32(gguf, p + "ffn_sub_norm.weight", c.ffnDim()) : null,
                    i2s(gguf, p + "ffn_down.weight", c.ffnDim(), c.dim()),
                    scales(gguf, p)));
            progress.progress("tensors", i + 1, c.layers());
        }
        return new Weights(embedding, output, outputNorm, ropeFactors, List.copyOf(layers));
    }

    /** Tensor names of the form blk.N.SUFFIX that some file may carry but this runtime does not compute with. */
    private static final Pattern LAYER_TENSOR = Pattern.compile("blk\\.\\d+\\.(\\w+)\\.(bias|scale)");

    private static final java.util.Set<String> PROJECTIONS =
            java.util.Set.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down");

    /**
     * Refuses tensors that would change the model if they were read: biases (no BitNet file has them), projection
     * scales where the architecture has none, an output projection where the architecture ties it and sub-norms
     * where it has none. bitnet.cpp's loader refuses such files too (its tensor count would not match).
     */
    private static void refuseUnknownTensors(GgufFile gguf, Architecture arch) throws GgufException {
        for (GgufTensorInfo t : gguf.tensors()) {
            String name = t.name();
            Matcher m = LAYER_TENSOR.matcher(name);
            if (m.matches() && m.group(2).equals("bias"))
                throw new GgufException("tensor '" + name + "': bias tensors are not supported");
            if (m.matches() && (!arch.projectionScales() || !PROJECTIONS.contains(m.group(1))))
                throw new GgufException("tensor '" + name + "': architecture '" + arch.name() + "' has no such scale tensor"
                        + (arch.projectionScales() ? " (only the projections' blk.N.<projection>.scale)" : ""));
            if (name.equals("output.weight") && !arch.separateOutput())
                throw new GgufException("tensor 'output.weight' present: architecture '" + arch.name()
                        + "' ties the output projection to token_embd, a separate one is not supported");
            if (!arch.subNorms() && (name.endsWith(".attn_sub_norm.weight") || name.endsWith(".ffn_sub_norm.weight")))
                throw new GgufException("tensor '" + name + "': architecture '" + arch.name() + "' has no sub-norms");
        }
    }

    /** rope_freqs.weight (F32, one factor per rotated pair) or all ones. */
    private static float[] ropeFactors(GgufFile gguf, int pairs) throws GgufException {
        float[] factors = new float[pairs];
        java.util.Arrays.fill(factors, 1f);
        if (gguf.findTensor("rope_freqs.weight").isEmpty()) return factors;
        MemorySegment s = f32(gguf, "rope_freqs.weight", pairs);
        for (int i = 0; i < pairs; i++) {
            factors[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            if (!(factors[i] > 0) || !Float.isFinite(factors[i]))
                throw new GgufException("tensor 'rope_freqs.weight' holds " + factors[i] + " at " + i + ": RoPE frequency factors must be positive");
        }
        return factors;
    }

    private static Scales scales(GgufFile gguf, String p) throws GgufException {
        return new Scales(scale(gguf, p + "attn_q.scale"), scale(gguf, p + "attn_k.scale"), scale(gguf, p + "attn_v.scale"),
                scale(gguf, p + "attn_output.scale"), scale(gguf, p + "ffn_gate.scale"), scale(gguf, p + "ffn_up.scale"),
                scale(gguf, p + "ffn_down.scale"));
    }

    /** The one F32 value of an optional scale tensor, 1 when absent. */
    private static float scale(GgufFile gguf, String name) throws GgufException {
        if (gguf.findTensor(name).isEmpty()) return 1f;
        float v = f32(gguf, name, 1).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
        if (!Float.isFinite(v)) throw new GgufException("tensor '" + name + "' holds the non-finite scale " + v);
        return v;
    }

    private static GgufTensorInfo tensor(GgufFile gguf, String name, GgufType type, long... shape) throws GgufException {
        GgufTensorInfo t = gguf.tensor(name);
        if (t.type() != type)
            throw new GgufException("tensor '" + name + "' has type " + t.type() + ", expected " + type);
        if (!java.util.Arrays.equals(t.shape(), shape))
            throw new GgufException("tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        return t;
    }

    private static MemorySegment f32(GgufFile gguf, String name, int n) throws GgufException {
        return gguf.data(tensor(gguf, name, GgufType.F32, n));
    }

    private static F16Matrix f16(GgufFile gguf, String name, int cols, int rows) throws GgufException {
        GgufType type = gguf.tensor(name).type();
        if (type != GgufType.F16)
            throw new GgufException("tensor '" + name + "' has type " + type + ": bitnet4j reads the embedding and the output "
                    + "projection as F16 only (as bitnet.cpp's I2_S conversion writes them); re-quantize with F16 for them");
        GgufTensorInfo t = tensor(gguf, name, GgufType.F16, cols, rows);
        return gguf.loaded(t) ? new F16Matrix(gguf.data(t), rows, cols) : null; // null: left in the file (low memory)
    }

    /** An I2_S tensor of ne = (cols, rows): rows*cols/4 packed bytes, then the float scale in the tail. */
    private static TernaryMatrix i2s(GgufFile gguf, String name, int cols, int rows) throws GgufException {
        GgufTensorInfo t = tensor(gguf, name, GgufType.I2_S, cols, rows);
        MemorySegment all = gguf.data(t);
        long packed = TernaryMatrix.bytes(rows, cols);
        if (all.byteSize() < packed + 4) throw new GgufException("tensor '" + name + "' is too short for its I2_S scale");
        float scale = all.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), packed);
        if (!Float.isFinite(scale)) throw new GgufException("tensor '" + name + "' has a non-finite I2_S scale " + scale);
        return new TernaryMatrix(all.asSlice(0, packed), rows, cols, scale);
    }

    /**
     * Fails if any 2-bit code is 3: the reference dequantizer reads it as 0 while integer kernels read +2, so
     * such a file has no single meaning. One pass over the packed bytes (it also warms the page cache).
     */
    public static void checkCodes(String name, TernaryMatrix m) throws GgufException {
        MemorySegment d = m.data();
        long n = d.byteSize(), i = 0;
        var longs = ValueLayout.JAVA_LONG_UNALIGNED;
        for (; i + 8 <= n; i += 8) {
            long v = d.get(longs, i);
            if ((v & (v >>> 1) & 0x5555555555555555L) != 0) throw badCode(name, i);
        }
        for (; i < n; i++) {
            int b = d.get(ValueLayout.JAVA_BYTE, i);
            if ((b & (b >>> 1) & 0x55) != 0) throw badCode(name, i);
        }
    }

    private static GgufException badCode(String name, long at) {
        return new GgufException("tensor '" + name + "' holds the unused I2_S code 3 near byte " + at + ": the file is corrupt");
    }

    /** The same weights with the ternary matrices replaced, in {@link #ternaryTensors} order. */
    public Weights withTernary(List<TernaryWeights> replacement) {
        if (replacement.size() != 7 * layers.size())
            throw new IllegalArgumentException(replacement.size() + " ternary matrices for " + layers.size() + " layers");
        List<Layer> out = new ArrayList<>(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            List<TernaryWeights> r = replacement.subList(7 * i, 7 * i + 7);
            out.add(new Layer(l.attnNorm(), r.get(0), r.get(1), r.get(2), l.attnSubNorm(), r.get(3), l.ffnNorm(),
                    r.get(4), r.get(5), l.ffnSubNorm(), r.get(6), l.scales()));
        }
        return new Weights(embedding, output, outputNorm, ropeFactors, List.copyOf(out));
    }

    /** The ternary matrices of every layer with their tensor names, for whole-model passes. */
    public static List<java.util.Map.Entry<String, TernaryWeights>> ternaryTensors(Weights w) {
        var out = new ArrayList<java.util.Map.Entry<String, TernaryWeights>>();
        for (int i = 0; i < w.layers().size(); i++) {
            Layer l = w.layers().get(i);
            String p = "blk." + i + ".";
            out.add(java.util.Map.entry(p + "attn_q.weight", l.wq()));
            out.add(java.util.Map.entry(p + "attn_k.weight", l.wk()));
            out.add(java.util.Map.entry(p + "attn_v.weight", l.wv()));
            out.add(java.util.Map.entry(p + "attn_output.weight", l.wo()));
            out.add(java.util.Map.entry(p + "ffn_gate.weight", l.wGate()));
            out.add(java.util.Map.entry(p + "ffn_up.weight", l.wUp()));
            out.add(java.util.Map.entry(p + "ffn_down.weight", l.wDown()));
        }
        return out;
    }
}
