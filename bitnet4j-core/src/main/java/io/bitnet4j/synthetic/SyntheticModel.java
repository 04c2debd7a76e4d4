package io.bitnet4j.synthetic;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.gguf.GgufType;
import io.bitnet4j.gguf.GgufWriter;
import io.bitnet4j.model.Architecture;
import io.bitnet4j.tokenizer.ByteLevel;
import io.bitnet4j.tokenizer.PreTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes a random-weight GGUF in the exact layout of the official BitNet b1.58 2B4T i2_s file (spec §1.3,
 * §1.4, §2.2): the same 24 metadata keys in the same order and types, the same tensor names, types and
 * shapes (F16 embedding, F32 norms, I2_S projections, no output.weight), with the shape taken from a
 * {@link Spec}. It lets the runtime be tested and benchmarked at full 2B4T size without the real weights.
 * The other architectures bitnet.cpp runs are written in the layout of their files: {@code bitnet} without the
 * rope.dimension_count key and with linear RoPE scaling by 1; {@code llama} without sub-norms and with an F16
 * output.weight.
 *
 * <p>Weights: ternary codes drawn with the frequencies absmean quantization gives for Gaussian master weights
 * (about 31% zeros), scale = the absmean of those hypothetical weights; embeddings Gaussian with
 * std 1/sqrt(nEmbd) (so tied logits have unit scale); norm weights uniform in [0.9, 1.1].
 *
 * <p>From the command line: {@code ./bitnet4j make-model --preset 2b4t --out FILE}.
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    /** Model shape and hyperparameters. */
    public record Spec(String arch, int vocab, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, int ctx,
                       float ropeBase, float eps) {
        public Spec {
            if (Architecture.named(arch) == null)
                throw new IllegalArgumentException("arch must be one of " + Architecture.ALL + ", got " + arch);
            if (nHead <= 0 || nHeadKv <= 0 || nEmbd % nHead != 0 || nHead % nHeadKv != 0)
                throw new IllegalArgumentException("nEmbd " + nEmbd + " / heads " + nHead + " / kv heads " + nHeadKv + " do not divide");
            // I2_S packs 128-element blocks that must not straddle rows: both input widths must be multiples of 128.
            if (nEmbd % 128 != 0 || nFf % 128 != 0)
                throw new IllegalArgumentException("nEmbd " + nEmbd + " and nFf " + nFf + " must be multiples of 128 (I2_S blocks)");
            if (nLayer <= 0 || ctx <= 0) throw new IllegalArgumentException("nLayer and ctx must be positive");
            if (vocab < 256 + specialCount(vocab) + 1)
                throw new IllegalArgumentException("vocab " + vocab + " is too small for 256 byte tokens and the special tokens");
        }

        /** Small enough for unit tests: the shape of the shared parity file pa.gguf. */
        public static Spec tiny() {
            return new Spec("bitnet-b1.58", 512, 256, 2, 4, 1, 768, 512, 500000f, 1e-5f);
        }

        /** The exact shape of BitNet b1.58 2B4T. */
        public static Spec b2b4t() {
            return new Spec("bitnet-b1.58", 128256, 2560, 30, 20, 5, 6912, 4096, 500000f, 1e-5f);
        }

        public int headDim() {
            return nEmbd / nHead;
        }

        public int nEmbdKv() {
            return headDim() * nHeadKv;
        }

        public Spec withArch(String a) {
            return new Spec(a, vocab, nEmbd, nLayer, nHead, nHeadKv, nFf, ctx, ropeBase, eps);
        }
    }

    /**
     * A byte-level BPE vocabulary in GGUF form.
     *
     * @param tokens token strings in GPT-2 byte-to-unicode form, id = index
     * @param merges "left right" strings, rank = index
     * @param types  token types per id (1 normal, 3 control)
     * @param bos    id of {@code <|begin_of_text|>}
     * @param eos    id of {@code <|end_of_text|>} (also the padding id)
     * @param eot    id of {@code <|eot_id|>}
     */
    public record Vocabulary(List<String> tokens, List<String> merges, int[] types, int bos, int eos, int eot) {
        public Vocabulary {
            tokens = List.copyOf(tokens);
            merges = List.copyOf(merges);
            types = types.clone();
            if (types.length != tokens.size())
                throw new IllegalArgumentException(types.length + " token types for " + tokens.size() + " tokens");
            for (int id : new int[]{bos, eos, eot})
                if (id < 0 || id >= tokens.size()) throw new IllegalArgumentException("special id " + id + " is out of range");
        }

        /** The token types (a copy). */
        @Override
        public int[] types() {
            return types.clone();
        }

        /** The GGUF scores: 0 for ordinary tokens, -1000 for control tokens (as the official converter writes). */
        public float[] scores() {
            float[] s = new float[types.length];
            for (int i = 0; i < s.length; i++) s[i] = types[i] == TYPE_CONTROL ? -1000f : 0f;
            return s;
        }
    }

    static final int TYPE_NORMAL = 1, TYPE_CONTROL = 3;

    /** LLaMA-3 has 256 added tokens; small vocabularies get the 8 the parity fixtures use. */
    static int specialCount(int vocab) {
        return vocab >= 128256 ? 256 : 8;
    }

    // ---------------------------------------------------------------------------------------------------
    // Writing

    /** Writes the model; {@code vocab} may be null, in which case a byte-level BPE vocabulary is generated. */
    public static void write(Path out, Spec spec, Vocabulary vocab, long seed) throws IOException {
        write(out, spec, vocab, seed, null);
    }

    /** Writes the model, reporting the bytes of tensor data written (stage "writing"). */
    public static void write(Path out, Spec spec, Vocabulary vocab, long seed, ProgressListener progress) throws IOException {
        Vocabulary v = vocab != null ? vocab : generateVocabulary(spec.vocab(), seed);
        if (v.tokens().size() != spec.vocab())
            throw new IllegalArgumentException("vocabulary has " + v.tokens().size() + " tokens, spec says " + spec.vocab());
        GgufWriter w = new GgufWriter();
        putMetadata(w, spec, v);
        long total = addTensors(w, spec, seed, progress);
        w.write(out);
        if (progress != null) progress.progress("writing", total, total);
    }

    /** The 24 keys in the official order (spec §1.3), with the official value types. */
    private static void putMetadata(GgufWriter w, Spec s, Vocabulary v) {
        String a = s.arch();
        w.putString("general.architecture", a)
                .putString("general.name", "bitnet4j-synthetic")
                .putUInt32(a + ".vocab_size", s.vocab())
                .putUInt32(a + ".context_length", s.ctx())
                .putUInt32(a + ".embedding_length", s.nEmbd())
                .putUInt32(a + ".block_count", s.nLayer())
                .putUInt32(a + ".feed_forward_length", s.nFf());
        boolean oneBitLlm = Architecture.named(a) == Architecture.BITNET;
        if (!oneBitLlm) w.putUInt32(a + ".rope.dimension_count", s.headDim()); // the 1bitLLM files lack it
        w.putUInt32(a + ".attention.head_count", s.nHead())
                .putUInt32(a + ".attention.head_count_kv", s.nHeadKv())
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", s.eps())
                .putFloat32(a + ".rope.freq_base", s.ropeBase());
        if (oneBitLlm) w.putString(a + ".rope.scaling.type", "linear").putFloat32(a + ".rope.scaling.factor", 1f);
        w.putUInt32("general.file_type", 40) // LLAMA_FTYPE_MOSTLY_I2_S in the fork
                .putString("tokenizer.ggml.model", "gpt2")
                .putStringArray("tokenizer.ggml.tokens", v.tokens())
                .putFloat32Array("tokenizer.ggml.scores", v.scores())
                .putInt32Array("tokenizer.ggml.token_type", v.types())
                .putStringArray("tokenizer.ggml.merges", v.merges())
                .putUInt32("tokenizer.ggml.bos_token_id", v.bos())
                .putUInt32("tokenizer.ggml.eos_token_id", v.eos())
                .putUInt32("tokenizer.ggml.padding_token_id", v.eos())
                .putString("tokenizer.chat_template", CHAT_TEMPLATE)
                .putUInt32("general.quantization_version", 2);
    }

    /** Our own Jinja template; like the official one it contains "BITNET", which is how llama.cpp detects the format. */
    static final String CHAT_TEMPLATE = "{% for message in messages %}{% if message['role'] == 'system' %}System: "
            + "{{ message['content'] }}{% elif message['role'] == 'user' %}User: {{ message['content'] }}<|eot_id|>"
            + "{% else %}{{ message['content'] }}<|eot_id|>{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}BITNETAssistant: {% endif %}";

    /** Declares every tensor in the official order; data is generated while writing. Returns the data byte total. */
    private static long addTensors(GgufWriter w, Spec s, long seed, ProgressListener progress) {
        SplittableRandom root = new SplittableRandom(seed);
        long e = s.nEmbd(), kv = s.nEmbdKv(), ff = s.nFf();
        long[] total = {0};
        long[] done = {0};
        // Each tensor gets its own generator, split off in declaration order, so output depends only on the seed.
        class Adder {
            void add(String name, GgufType type, long... shape) {
                SplittableRandom r = root.split();
                long n = 1;
                for (long d : shape) n *= d;
                long elements = n;
                long bytes = type.byteSize(n);
                total[0] += bytes;
                w.addTensor(name, type, shape, sink -> {
                    switch (type) {
                        case F16 -> writeEmbedding(sink, elements, 1.0 / Math.sqrt(e), r);
                        case F32 -> writeNorm(sink, elements, r);
                        case I2_S -> writeTernary(sink, elements, shape[0], r);
                    }
                    done[0] += bytes;
                    if (progress != null) progress.progress("writing", done[0], total[0]);
                });
            }
        }
        Adder t = new Adder();
        Architecture arch = Architecture.named(s.arch());
        t.add("token_embd.weight", GgufType.F16, e, s.vocab());
        t.add("output_norm.weight", GgufType.F32, e);
        if (arch.separateOutput()) t.add("output.weight", GgufType.F16, e, s.vocab());
        for (int i = 0; i < s.nLayer(); i++) {
            String p = "blk." + i + ".";
            t.add(p + "attn_norm.weight", GgufType.F32, e);
            t.add(p + "attn_q.weight", GgufType.I2_S, e, e);
            t.add(p + "attn_k.weight", GgufType.I2_S, e, kv);
            t.add(p + "attn_v.weight", GgufType.I2_S, e, kv);
            t.add(p + "attn_output.weight", GgufType.I2_S, e, e);
            if (arch.subNorms()) t.add(p + "attn_sub_norm.weight", GgufType.F32, e);
            t.add(p + "ffn_norm.weight", GgufType.F32, e);
            t.add(p + "ffn_gate.weight", GgufType.I2_S, e, ff);
            t.add(p + "ffn_up.weight", GgufType.I2_S, e, ff);
            t.add(p + "ffn_down.weight", GgufType.I2_S, ff, e);
            if (arch.subNorms()) t.add(p + "ffn_sub_norm.weight", GgufType.F32, ff);
        }
        return total[0];
    }

    private static final int CHUNK = 1 << 20;

    /** F16 Gaussian values: 12 random bits pick one of 4096 pre-drawn Gaussians, 5 values per random long. */
    private static void writeEmbedding(GgufWriter.TensorSink sink, long elements, double std, SplittableRandom r) throws IOException {
        short[] table = new short[4096];
        for (int i = 0; i < table.length; i++) table[i] = Float.floatToFloat16((float) (gaussian(r) * std));
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        ShortBuffer shorts = buf.asShortBuffer();
        short[] chunk = new short[CHUNK / 2];
        for (long left = elements; left > 0; ) {
            int n = (int) Math.min(left, chunk.length);
            for (int i = 0; i < n; ) {
                long bits = r.nextLong();
                for (int k = 0; k < 5 && i < n; k++, bits >>>= 12) chunk[i++] = table[(int) (bits & 0xFFF)];
            }
            shorts.clear();
            shorts.put(chunk, 0, n);
            buf.clear().limit(2 * n);
            sink.write(buf);
            left -= n;
        }
    }

    /** Norm weights uniform in [0.9, 1.1]: near 1 like trained norms, but not all equal. */
    private static void writeNorm(GgufWriter.TensorSink sink, long elements, SplittableRandom r) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) elements * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < elements; i++) buf.putFloat((float) (0.9 + 0.2 * r.nextDouble()));
        sink.write(buf.flip());
    }

    /**
     * I2_S data: n/4 bytes of codes (code = w + 1, never 3), then the 32-byte tail with the scale as its first
     * float and zeros after. Weights are iid, so any packed byte of four iid codes is a valid sample no matter
     * which element positions the 128/32 interleave assigns to its bit pairs; a 64 K table maps 16 random bits
     * to such a byte.
     */
    private static void writeTernary(GgufWriter.TensorSink sink, long elements, long fanIn, SplittableRandom r) throws IOException {
        byte[] table = ternaryByteTable(r);
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        byte[] chunk = new byte[CHUNK];
        for (long left = elements / 4; left > 0; ) {
            int n = (int) Math.min(left, chunk.length);
            for (int i = 0; i < n; ) {
                long bits = r.nextLong();
                for (int k = 0; k < 4 && i < n; k++, bits >>>= 16) chunk[i++] = table[(int) (bits & 0xFFFF)];
            }
            buf.clear();
            buf.put(chunk, 0, n).flip();
            sink.write(buf);
            left -= n;
        }
        ByteBuffer tail = ByteBuffer.allocate(GgufType.I2_S_TAIL_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        tail.putFloat(0, absmeanScale(fanIn, r));
        sink.write(tail);
    }

    /**
     * Absmean quantization of N(0, s^2) weights gives beta = s*sqrt(2/pi) and w = 0 where |W| < beta/2, i.e.
     * |Z| < sqrt(2/pi)/2 = 0.399, probability 0.310; the rest splits evenly between -1 and +1.
     */
    static final double P_ZERO = 0.310;

    private static byte[] ternaryByteTable(SplittableRandom r) {
        byte[] table = new byte[1 << 16];
        for (int i = 0; i < table.length; i++) {
            int b = 0;
            for (int k = 0; k < 4; k++) b = (b << 2) | ternaryCode(r.nextDouble());
            table[i] = (byte) b;
        }
        return table;
    }

    /** Code for a uniform draw u: 0 (-1), 1 (0) or 2 (+1). */
    private static int ternaryCode(double u) {
        double pm = (1 - P_ZERO) / 2;
        return u < pm ? 0 : u < pm + P_ZERO ? 1 : 2;
    }

    /** beta = mean|W| of hypothetical N(0, 1/fanIn) master weights, jittered by +-5% per tensor. */
    private static float absmeanScale(long fanIn, SplittableRandom r) {
        return (float) (Math.sqrt(2 / Math.PI) / Math.sqrt(fanIn) * (0.95 + 0.1 * r.nextDouble()));
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller; 1 - u keeps the log argument in (0, 1].
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    // ---------------------------------------------------------------------------------------------------
    // Vocabulary

    /**
     * A byte-level BPE vocabulary of exactly {@code size} tokens: the 256 byte tokens in GPT-2 order, merges
     * learnt on {@link #TRAINING_TEXT} (then, for large vocabularies, random compositions of existing tokens),
     * and the special tokens at the end.
     */
    public static Vocabulary generateVocabulary(int size, long seed) {
        List<String> specials = specialTokens(specialCount(size));
        int normal = size - specials.size();
        List<String> tokens = new ArrayList<>(size);
        tokens.addAll(ByteLevel.byteTokensInVocabularyOrder());
        List<String> merges = new ArrayList<>(normal - 256);
        Set<String> known = new HashSet<>(tokens);
        trainMerges(TRAINING_TEXT, normal - 256, tokens, merges, known);
        composeRandomMerges(normal, tokens, merges, known, new SplittableRandom(seed ^ 0x5EED_70CE_11L));
        int[] types = new int[size];
        Arrays.fill(types, 0, normal, TYPE_NORMAL);
        Arrays.fill(types, normal, size, TYPE_CONTROL);
        tokens.addAll(specials);
        return new Vocabulary(tokens, merges, types, normal, normal + 1, normal + specials.indexOf("<|eot_id|>"));
    }

    /** LLaMA-3's added-token names; the short list is the one the parity fixtures use. */
    static List<String> specialTokens(int count) {
        if (count == 8)
            return List.of("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                    "<|finetune_right_pad_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
        List<String> s = new ArrayList<>(List.of("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"));
        for (int i = 3; s.size() < count; i++) s.add("<|reserved_special_token_" + i + "|>");
        return s;
    }

    /**
     * A plain BPE trainer: split the text with GPT-2's pre-tokenizer, then repeatedly merge the most frequent adjacent pair
     * (ties: the smallest "left right" string, so the result is deterministic) until {@code limit} merges or no
     * pair is left.
     */
    static void trainMerges(String text, int limit, List<String> tokens, List<String> merges, Set<String> known) {
        Map<List<String>, Integer> words = new LinkedHashMap<>();
        for (String word : PreTokenizer.splitGpt2(text)) {
            List<String> symbols = new ArrayList<>();
            for (char c : ByteLevel.encode(word.getBytes(StandardCharsets.UTF_8)).toCharArray()) symbols.add(String.valueOf(c));
            words.merge(symbols, 1, Integer::sum);
        }
        List<List<String>> wordList = new ArrayList<>(words.keySet());
        int[] freq = words.values().stream().mapToInt(Integer::intValue).toArray();
        while (merges.size() < limit) {
            Map<String, Integer> pairs = new HashMap<>();
            for (int w = 0; w < wordList.size(); w++) {
                List<String> s = wordList.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + " " + s.get(i + 1), freq[w], Integer::sum);
            }
            String best = null;
            int bestCount = 0;
            for (Map.Entry<String, Integer> p : pairs.entrySet()) {
                int c = p.getValue();
                if (c > bestCount || (c == bestCount && p.getKey().compareTo(best) < 0)) {
                    best = p.getKey();
                    bestCount = c;
                }
            }
            if (best == null) return;
            int sp = best.indexOf(' ');
            String left = best.substring(0, sp), right = best.substring(sp + 1), joined = left + right;
            merges.add(best);
            if (known.add(joined)) tokens.add(joined);
            for (List<String> s : wordList) applyMerge(s, left, right, joined);
        }
    }

    private static void applyMerge(List<String> symbols, String left, String right, String joined) {
        for (int i = 0; i + 1 < symbols.size(); i++) {
            if (symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                symbols.set(i, joined);
                symbols.remove(i + 1);
            }
        }
    }

    /**
     * Fills the vocabulary to {@code target} tokens with random merges: a random existing token (at most 12
     * characters) followed by a random "short" token (a byte or a text-learnt token). Drawing the right side
     * from a fixed short pool keeps token lengths growing only slowly.
     */
    static void composeRandomMerges(int target, List<String> tokens, List<String> merges, Set<String> known, SplittableRandom r) {
        int shortPool = tokens.size();
        while (tokens.size() < target) {
            String left = tokens.get(r.nextInt(tokens.size()));
            String right = tokens.get(r.nextInt(shortPool));
            if (left.length() > 12) continue;
            String joined = left + right;
            if (!known.add(joined)) continue;
            tokens.add(joined);
            merges.add(left + " " + right);
        }
    }

    /** Public-domain English (the Gettysburg Address, and the opening of Pride and Prejudice) for the BPE trainer. */
    static final String TRAINING_TEXT = """
            Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in \
            Liberty, and dedicated to the proposition that all men are created equal.
            Now we are engaged in a great civil war, testing whether that nation, or any nation so conceived and so \
            dedicated, can long endure. We are met on a great battle-field of that war. We have come to dedicate a \
            portion of that field, as a final resting place for those who here gave their lives that that nation \
            might live. It is altogether fitting and proper that we should do this.
            But, in a larger sense, we can not dedicate -- we can not consecrate -- we can not hallow -- this ground. \
            The brave men, living and dead, who struggled here, have consecrated it, far above our poor power to add \
            or detract. The world will little note, nor long remember what we say here, but it can never forget what \
            they did here. It is for us the living, rather, to be dedicated here to the unfinished work which they who \
            fought here have thus far so nobly advanced. It is rather for us to be here dedicated to the great task \
            remaining before us -- that from these honored dead we take increased devotion to that cause for which \
            they gave the last full measure of devotion -- that we here highly resolve that these dead shall not have \
            died in vain -- that this nation, under God, shall have a new birth of freedom -- and that government of \
            the people, by the people, for the people, shall not perish from the earth.
            It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want \
            of a wife. However little known the feelings or views of such a man may be on his first entering a \
            neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered \
            the rightful property of some one or other of their daughters.
            "My dear Mr. Bennet," said his lady to him one day, "have you heard that Netherfield Park is let at last?"
            Mr. Bennet replied that he had not. "But it is," returned she; "for Mrs. Long has just been here, and she \
            told me all about it." Mr. Bennet made no answer. "Do you not want to know who has taken it?" cried his \
            wife impatiently. "You want to tell me, and I have no objection to hearing it."
            The address was given in 1863, on November 19; it took about 2 minutes and has 272 words.
            """;
}
