package io.bitnet4j.model;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A slow, independent implementation of the BitNet forward pass written from the spec (§3) and the fork's graph
 * builders with plain arrays: weights unpacked to bytes, integer dots in long, attention sums in double. It
 * shares no code with the runtime (its architecture differences are its own switch on the name, not
 * {@link Architecture}), so agreement means both read the sources the same way.
 *
 * <ul>
 *   <li>{@code bitnet-b1.58}, {@code bitnet-25}: sub-norms, relu(gate)^2 * up, NEOX RoPE, logits from token_embd;</li>
 *   <li>{@code bitnet}: the same with silu(gate) * up and optional blk.N.*.scale multipliers;</li>
 *   <li>{@code llama}: no sub-norms, silu(gate) * up, RoPE on adjacent pairs, logits from output.weight when present.</li>
 * </ul>
 * All of them honour rope_freqs.weight and linear RoPE scaling.
 */
final class ReferenceModel {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Ternary(byte[][] w, float scale) {}

    record Layer(float[] attnNorm, Ternary q, Ternary k, Ternary v, float[] subNorm, Ternary o, float[] ffnNorm,
            Ternary gate, Ternary up, float[] ffnSubNorm, Ternary down, float[] scales) {}

    final ModelConfig c;
    final String arch;
    final boolean subNorms, silu, adjacentPairs;
    final float[][] embedding, output;
    final float[] outputNorm, ropeFactors;
    final float ropeScale;
    final List<Layer> layers = new ArrayList<>();
    final List<float[][]> keys = new ArrayList<>(), values = new ArrayList<>();
    int position;

    ReferenceModel(GgufFile g) throws Exception {
        c = ModelConfig.fromGguf(g);
        arch = g.getString("general.architecture");
        switch (arch) {
            case "bitnet-b1.58", "bitnet-25" -> { subNorms = true; silu = false; adjacentPairs = false; }
            case "bitnet" -> { subNorms = true; silu = true; adjacentPairs = false; }
            case "llama" -> { subNorms = false; silu = true; adjacentPairs = true; }
            default -> throw new IllegalArgumentException("reference has no graph for " + arch);
        }
        embedding = f16Matrix(g, "token_embd.weight", c.vocabSize(), c.dim());
        output = arch.equals("llama") && g.findTensor("output.weight").isPresent()
                ? f16Matrix(g, "output.weight", c.vocabSize(), c.dim()) : embedding;
        outputNorm = f32(g, "output_norm.weight", c.dim());
        ropeFactors = new float[c.headDim() / 2];
        java.util.Arrays.fill(ropeFactors, 1f);
        if (g.findTensor("rope_freqs.weight").isPresent()) System.arraycopy(f32(g, "rope_freqs.weight", c.headDim() / 2), 0, ropeFactors, 0, ropeFactors.length);
        String factorKey = arch + ".rope.scaling.factor";
        ropeScale = g.has(factorKey) && g.getFloat(factorKey) != 0 ? 1f / g.getFloat(factorKey) : 1f;
        String[] projections = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            float[] scales = new float[projections.length];
            for (int j = 0; j < scales.length; j++)
                scales[j] = g.findTensor(p + projections[j] + ".scale").isPresent() ? f32(g, p + projections[j] + ".scale", 1)[0] : 1f;
            layers.add(new Layer(f32(g, p + "attn_norm.weight", c.dim()), ternary(g, p + "attn_q.weight", c.dim(), c.dim()),
                    ternary(g, p + "attn_k.weight", c.kvDim(), c.dim()), ternary(g, p + "attn_v.weight", c.kvDim(), c.dim()),
                    subNorms ? f32(g, p + "attn_sub_norm.weight", c.dim()) : null, ternary(g, p + "attn_output.weight", c.dim(), c.dim()),
                    f32(g, p + "ffn_norm.weight", c.dim()), ternary(g, p + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    ternary(g, p + "ffn_up.weight", c.ffnDim(), c.dim()), subNorms ? f32(g, p + "ffn_sub_norm.weight", c.ffnDim()) : null,
                    ternary(g, p + "ffn_down.weight", c.dim(), c.ffnDim()), scales));
            keys.add(new float[c.contextLength()][]);
            values.add(new float[c.contextLength()][]);
        }
    }

    static float[] f32(GgufFile g, String name, int n) throws Exception {
        MemorySegment s = g.data(g.tensor(name));
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = s.getAtIndex(F32, i);
        return out;
    }

    static float[][] f16Matrix(GgufFile g, String name, int rows, int cols) throws Exception {
        MemorySegment s = g.data(g.tensor(name));
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < cols; i++) out[r][i] = Float.float16ToFloat(s.getAtIndex(F16, (long) r * cols + i));
        return out;
    }

    /** Unpacks I2_S: flat element e lives in block e/128, byte (e%128)%32, bit pair (e%128)/32 from the top. */
    static Ternary ternary(GgufFile g, String name, int rows, int cols) throws Exception {
        GgufTensorInfo t = g.tensor(name);
        MemorySegment s = g.data(t);
        long n = (long) rows * cols;
        byte[][] w = new byte[rows][cols];
        for (long e = 0; e < n; e++) {
            long block = e / 128;
            int within = (int) (e % 128);
            int b = s.get(ValueLayout.JAVA_BYTE, block * 32 + within % 32) & 0xff;
            int code = (b >> (6 - 2 * (within / 32))) & 3;
            if (code == 3) throw new IllegalStateException("code 3 in " + name);
            w[(int) (e / cols)][(int) (e % cols)] = (byte) (code - 1);
        }
        return new Ternary(w, s.get(F32, n / 4));
    }

    static float[] rms(float[] x, float[] weight, float eps) {
        double sum = 0;
        for (float v : x) sum += (double) (v * v);
        float scale = 1.0f / (float) Math.sqrt((float) (sum / x.length) + eps);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (x[i] * scale) * weight[i];
        return out;
    }

    /** I8_S quantization then the exact integer product and the float epilogue. */
    static float[] bitLinear(Ternary t, float[] x) {
        double max = 1e-5;
        for (float v : x) max = Math.max(max, Math.abs(v));
        float s = (float) (127.0 / max);
        int[] q = new int[x.length];
        for (int i = 0; i < x.length; i++) q[i] = (int) Math.max(-128, Math.min(127, Math.rint(x[i] * s)));
        float[] y = new float[t.w().length];
        for (int m = 0; m < y.length; m++) {
            long dot = 0;
            for (int i = 0; i < x.length; i++) dot += (long) t.w()[m][i] * q[i];
            y[m] = ((float) dot / s) * t.scale();
        }
        return y;
    }

    /** Pair i turns by ropeScale * theta_i / factor_i; NEOX pairs (i, i + half), LLaMA's adjacent pairs (2i, 2i + 1). */
    void rope(float[] x, int heads, int pos) {
        int hd = c.headDim(), half = hd / 2;
        float thetaScale = (float) Math.pow(c.ropeBase(), -2.0 / hd);
        for (int h = 0; h < heads; h++) {
            float theta = pos;
            for (int i = 0; i < half; i++) {
                float angle = ropeScale * (theta / ropeFactors[i]);
                float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
                int i0 = h * hd + (adjacentPairs ? 2 * i : i), i1 = adjacentPairs ? i0 + 1 : i0 + half;
                float a = x[i0], b = x[i1];
                x[i0] = a * cos - b * sin;
                x[i1] = a * sin + b * cos;
                theta *= thetaScale;
            }
        }
    }

    static float[] times(float[] y, float s) {
        for (int i = 0; i < y.length; i++) y[i] *= s;
        return y;
    }

    static float h(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    float[] forward(int token) {
        float[] x = embedding[token].clone();
        int hd = c.headDim(), pos = position;
        for (int l = 0; l < c.layers(); l++) {
            Layer w = layers.get(l);
            float[] a = rms(x, w.attnNorm(), c.normEps());
            float[] sc = w.scales();
            float[] q = times(bitLinear(w.q(), a), sc[0]), k = times(bitLinear(w.k(), a), sc[1]), v = times(bitLinear(w.v(), a), sc[2]);
            rope(q, c.heads(), pos);
            rope(k, c.kvHeads(), pos);
            float[] k16 = new float[k.length], v16 = new float[v.length];
            for (int i = 0; i < k.length; i++) { k16[i] = h(k[i]); v16[i] = h(v[i]); }
            keys.get(l)[pos] = k16;
            values.get(l)[pos] = v16;
            float[] att = new float[c.dim()];
            for (int head = 0; head < c.heads(); head++) {
                int kvh = head / c.groupSize();
                double[] p = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += (double) h(q[head * hd + d]) * keys.get(l)[j][kvh * hd + d];
                    p[j] = (float) s * (1.0f / (float) Math.sqrt(hd));
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j <= pos; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
                for (int d = 0; d < hd; d++) {
                    double o = 0;
                    for (int j = 0; j <= pos; j++) o += h((float) (p[j] / sum)) * (double) values.get(l)[j][kvh * hd + d];
                    att[head * hd + d] = (float) o;
                }
            }
            float[] o = times(bitLinear(w.o(), subNorms ? rms(att, w.subNorm(), c.normEps()) : att), sc[3]);
            for (int i = 0; i < x.length; i++) x[i] += o[i];
            float[] f = rms(x, w.ffnNorm(), c.normEps());
            float[] g = times(bitLinear(w.gate(), f), sc[4]), u = times(bitLinear(w.up(), f), sc[5]);
            for (int i = 0; i < g.length; i++) {
                float act = silu ? (float) (g[i] / (1 + Math.exp(-g[i]))) : Math.max(g[i], 0f) * Math.max(g[i], 0f);
                g[i] = act * u[i];
            }
            float[] down = times(bitLinear(w.down(), subNorms ? rms(g, w.ffnSubNorm(), c.normEps()) : g), sc[6]);
            for (int i = 0; i < x.length; i++) x[i] += down[i];
        }
        position++;
        float[] hn = rms(x, outputNorm, c.normEps());
        float[] logits = new float[c.vocabSize()];
        for (int t = 0; t < logits.length; t++) {
            double s = 0;
            for (int i = 0; i < hn.length; i++) s += (double) output[t][i] * h(hn[i]);
            logits[t] = (float) s;
        }
        return logits;
    }
}
