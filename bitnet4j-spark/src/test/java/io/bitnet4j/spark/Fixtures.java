package io.bitnet4j.spark;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Numerics;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The bundled model, prompts from its held-out text, Spark sessions, and the same requests through the plain Java API. */
final class Fixtures {
    private Fixtures() {}

    static final Path ROOT = Path.of(System.getProperty("bitnet4j.home", "..")).toAbsolutePath().normalize();
    static final Path MODEL = ROOT.resolve("models/bitnet-kjv-4m.gguf");
    static final StructType PROMPTS = new StructType().add("id", DataTypes.LongType, false).add("prompt", DataTypes.StringType, true);
    static final StructType CANDIDATES = PROMPTS.add("labels", DataTypes.createArrayType(DataTypes.StringType, true), true);
    static final List<String> LABELS = List.of(" God", " the", " LORD", " and", " children of Israel");

    /** The bundled model, default (fast) numerics, 1 thread: the model is tiny, and extra worker threads only wait on a busy machine. */
    static ExecutorModelSpec spec() {
        return ExecutorModelSpec.of(MODEL.toString()).withThreads(1);
    }

    /** n prompts: the first 2 to 9 words of the held-out verses (some verses repeat their openings). */
    static List<String> prompts(int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(ROOT.resolve("models/kjv-heldout.txt"))) {
            String[] words = line.split(" ");
            if (words.length < 10 || !words[0].chars().allMatch(Character::isDigit)) continue; // verses only
            int take = 2 + out.size() % 8;
            out.add(String.join(" ", List.of(words).subList(1, 1 + take)));
            if (out.size() == n) break;
        }
        return out;
    }

    static SparkSession local(String app) {
        return SparkSession.builder().master("local[2]").appName(app)
                .config("spark.ui.enabled", false)
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    /** Rows (id, prompt), the ids being the indices in prompts. */
    static Dataset<Row> frame(SparkSession spark, List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) rows.add(RowFactory.create((long) i, prompts.get(i)));
        return spark.createDataFrame(rows, PROMPTS);
    }

    /** Rows (id, prompt, labels) with the same candidates for every prompt. */
    static Dataset<Row> frameWithLabels(SparkSession spark, List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) rows.add(RowFactory.create((long) i, prompts.get(i), LABELS));
        return spark.createDataFrame(rows, CANDIDATES);
    }

    /** A generate result in comparable form. */
    record Done(String completion, Integer promptTokens, Integer completionTokens, String finishReason, String error) {
        static Done of(Row r, String prefix) {
            return new Done(r.getAs(prefix + Columns.COMPLETION), r.getAs(prefix + Columns.PROMPT_TOKENS),
                    r.getAs(prefix + Columns.COMPLETION_TOKENS), r.getAs(prefix + Columns.FINISH_REASON), r.getAs(prefix + Columns.ERROR));
        }
    }

    /** id -> result of collected generate rows. */
    static Map<Long, Done> byId(Dataset<Row> generated) {
        Map<Long, Done> out = new LinkedHashMap<>();
        for (Row r : generated.collectAsList()) out.put(r.getAs("id"), Done.of(r, ""));
        return out;
    }

    /** id -> logprobs of collected score rows. */
    static Map<Long, List<Double>> logprobsById(Dataset<Row> scored) {
        Map<Long, List<Double>> out = new LinkedHashMap<>();
        for (Row r : scored.collectAsList()) out.put(r.getAs("id"), r.isNullAt(r.fieldIndex(Columns.LOGPROBS)) ? null : r.getList(r.fieldIndex(Columns.LOGPROBS)));
        return out;
    }

    /**
     * The same requests through the plain Java API: a Generator per prompt on a fresh session, with the sampler
     * settings of its row (keyed by id when byId, else by prompt).
     */
    static Map<Long, Done> javaApiGenerate(List<String> prompts, GenerateOptions o, Numerics numerics, boolean byId) throws IOException {
        Map<Long, Done> out = new LinkedHashMap<>();
        try (Model m = Model.load(MODEL, Model.Options.builder().threads(1).numerics(numerics).build())) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), m.config().vocabSize(), null);
            for (int i = 0; i < prompts.size(); i++) {
                String key = byId ? Long.toString(i) : prompts.get(i);
                try (Session s = m.newSession()) {
                    var g = new Generator(s, tok, SamplerChain.from(o.samplingFor(key)));
                    int[] ids = tok.encodeWithBos(prompts.get(i), false);
                    Generator.Result r = g.generate(ids, o.maxTokens(), o.stopStrings(), Generator.Listener.NONE);
                    out.put((long) i, new Done(r.text(), ids.length, r.tokens().length, r.stopReason().name().toLowerCase(Locale.ROOT), null));
                }
            }
        }
        return out;
    }

    /**
     * Candidate log-probabilities through the plain Java API, each candidate on a fresh session (no KV state
     * shared between candidates): the prompt evaluated, then the candidate's tokens but the last, the
     * log-softmax of every candidate token summed.
     */
    static Map<Long, List<Double>> javaApiScore(List<String> prompts, List<String> labels) throws IOException {
        Map<Long, List<Double>> out = new LinkedHashMap<>();
        try (Model m = Model.load(MODEL, Model.Options.builder().threads(1).build())) {
            Tokenizer tok = GgufTokenizer.load(m.gguf(), m.config().vocabSize(), null);
            for (int i = 0; i < prompts.size(); i++) {
                List<Double> lps = new ArrayList<>();
                int[] p = tok.encodeWithBos(prompts.get(i), false);
                for (String label : labels) {
                    int[] c = tok.encode(label, false);
                    try (Session s = m.newSession()) {
                        float[] afterPrompt = s.prefill(p);
                        double[] sum = {afterPrompt[c[0]] - logNormalizer(afterPrompt)};
                        s.evaluateAll(java.util.Arrays.copyOf(c, c.length - 1), (pos, logits) -> sum[0] += logits[c[pos + 1]] - logNormalizer(logits));
                        lps.add(sum[0]);
                    }
                }
                out.put((long) i, lps);
            }
        }
        return out;
    }

    private static double logNormalizer(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }
}
