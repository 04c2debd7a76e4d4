package io.bitnet4j.model;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A slow, independent implementation of the BitNet b1.58 forward pass written from the spec (§3) with plain
 * arrays: weights unpacked to bytes, integer dots in long, attention sums in double. It shares no code with
 * the runtime, so agreement means both read the spec the same way.
 */
final class ReferenceModel {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Ternary(byte[][] w, float scale) {}

    record Layer(float[] attnNorm, Ternary q, Ternary k, Ternary v, float[] subNorm, Ternary o, float[] ffnNorm,
            Ternary gate, Ternary up, float[] ffnSubNorm, Ternary down) {}

    final ModelConfig c;
    final float[][] embedding;
    final float[] outputNorm;
    final List<Layer> layers = new ArrayList<>();
    final List<float[][]> keys = new ArrayList<>(), values = new ArrayList<>();
    int position;

    ReferenceModel(GgufFile g) throws Exception {
        c = ModelConfig.fromGguf(g);
        embedding = f16Matrix(g, "token_embd.weight", c.vocabSize(), c.dim());
        outputNorm = f32(g, "output_norm.weight", c.dim());
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            layers.add(new Layer(f32(g, p + "attn_norm.weight", c.dim()), ternary(g, p + "attn_q.weight", c.dim(), c.dim()),
                    ternary(g, p + "attn_k.weight", c.kvDim(), c.dim()), ternary(g, p + "attn_v.weight", c.kvDim(), c.dim()),
                    f32(g, p + "attn_sub_norm.weight", c.dim()), ternary(g, p + "attn_output.weight", c.dim(), c.dim()),
                    f32(g, p + "ffn_norm.weight", c.dim()), ternary(g, p + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    ternary(g, p + "ffn_up.weight", c.ffnDim(), c.dim()), f32(g, p + "ffn_sub_norm.weight", c.ffnDim()),
                    ternary(g, p + "ffn_down.weight", c.dim(), c.ffnDim())));
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

    void rope(float[] x, int heads, int pos) {
        int hd = c.headDim(), half = hd / 2;
        float thetaScale = (float) Math.pow(c.ropeBase(), -2.0 / hd);
        for (int h = 0; h < heads; h++) {
            float theta = pos;
            for (int i = 0; i < half; i++) {
                float cos = (float) Math.cos(theta), sin = (float) Math.sin(theta);
                float a = x[h * hd + i], b = x[h * hd + i + half];
                x[h * hd + i] = a * cos - b * sin;
                x[h * hd + i + half] = a * sin + b * cos;
                theta *= thetaScale;
            }
        }
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
            float[] q = bitLinear(w.q(), a), k = bitLinear(w.k(), a), v = bitLinear(w.v(), a);
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
            float[] o = bitLinear(w.o(), rms(att, w.subNorm(), c.normEps()));
            for (int i = 0; i < x.length; i++) x[i] += o[i];
            float[] f = rms(x, w.ffnNorm(), c.normEps());
            float[] g = bitLinear(w.gate(), f), u = bitLinear(w.up(), f);
            for (int i = 0; i < g.length; i++) { float r = Math.max(g[i], 0f); g[i] = (r * r) * u[i]; }
            float[] down = bitLinear(w.down(), rms(g, w.ffnSubNorm(), c.normEps()));
            for (int i = 0; i < x.length; i++) x[i] += down[i];
        }
        position++;
        float[] hn = rms(x, outputNorm, c.normEps());
        float[] logits = new float[c.vocabSize()];
        for (int t = 0; t < logits.length; t++) {
            double s = 0;
            for (int i = 0; i < hn.length; i++) s += (double) embedding[t][i] * h(hn[i]);
            logits[t] = (float) s;
        }
        return logits;
    }
}
