package io.bitnet4j.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** bench --dense-baseline's results: a markdown table, or csv, json, jsonl rows with one field per column (times in ns). */
final class DenseBaselineReport {

    /** What every row of one run shares: the model, both engines, their rotations. */
    record Setup(BenchReport.ModelFacts model, int layers, int threads, String kernels, int denseThreads, String denseEngine, long layerWeights,
                 long ternaryLayerBytes, long denseLayerBytes, long ternaryRotationBytes, long denseRotationBytes) {

        double ternaryBytesPerWeight() {
            return (double) ternaryLayerBytes / layerWeights;
        }

        double denseBytesPerWeight() {
            return (double) denseLayerBytes / layerWeights;
        }

        /** How many times the ternary layer's bytes the F32 layer takes. */
        double memoryRatio() {
            return (double) denseLayerBytes / ternaryLayerBytes;
        }
    }

    /** One token count: nanoseconds per layer pass of each repetition, per engine. */
    record Row(Setup setup, int tokens, List<Long> ternaryNs, List<Long> denseNs, String time) {
        double ternaryAvgNs() {
            return BenchReport.mean(ternaryNs.stream().map(Long::doubleValue).toList());
        }

        double denseAvgNs() {
            return BenchReport.mean(denseNs.stream().map(Long::doubleValue).toList());
        }

        /** Dense time over ternary time: above 1, the ternary layer is faster. */
        double speedup() {
            return denseAvgNs() / ternaryAvgNs();
        }

        /** Milliseconds per token for every layer's matrices (layer time x layers / tokens): no attention, no output projection. */
        double modelMsPerToken(double layerNs) {
            return layerNs * setup.layers() / tokens / 1e6;
        }

        Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>();
            BenchReport.ModelFacts m = setup.model();
            f.put("build_commit", m.build());
            f.put("cpu_info", m.cpu());
            f.put("model_filename", m.file());
            f.put("model_type", m.type());
            f.put("n_layers", setup.layers());
            f.put("n_threads", setup.threads());
            f.put("kernels", setup.kernels());
            f.put("dense_engine", setup.denseEngine());
            f.put("dense_threads", setup.denseThreads());
            f.put("n_tokens", tokens);
            f.put("test_time", time);
            f.put("layer_weights", setup.layerWeights());
            f.put("ternary_layer_bytes", setup.ternaryLayerBytes());
            f.put("dense_layer_bytes", setup.denseLayerBytes());
            f.put("ternary_bytes_per_weight", setup.ternaryBytesPerWeight());
            f.put("dense_bytes_per_weight", setup.denseBytesPerWeight());
            f.put("memory_ratio", setup.memoryRatio());
            f.put("ternary_avg_ns", Math.round(ternaryAvgNs()));
            f.put("ternary_stddev_ns", Math.round(BenchReport.stddev(ternaryNs.stream().map(Long::doubleValue).toList())));
            f.put("dense_avg_ns", Math.round(denseAvgNs()));
            f.put("dense_stddev_ns", Math.round(BenchReport.stddev(denseNs.stream().map(Long::doubleValue).toList())));
            f.put("speedup", speedup());
            f.put("ternary_model_ms_per_token", modelMsPerToken(ternaryAvgNs()));
            f.put("dense_model_ms_per_token", modelMsPerToken(denseAvgNs()));
            f.put("ternary_weight_gbs", setup.ternaryLayerBytes() / ternaryAvgNs());
            f.put("dense_weight_gbs", setup.denseLayerBytes() / denseAvgNs());
            f.put("ternary_rotation_bytes", setup.ternaryRotationBytes());
            f.put("dense_rotation_bytes", setup.denseRotationBytes());
            return f;
        }
    }

    private DenseBaselineReport() {}

    /** Every row in a machine-readable format: csv (one header), json (one array) or jsonl. */
    static void print(BenchReport.Format format, List<Row> rows, PrintStream out) {
        switch (format) {
            case CSV -> {
                out.println(String.join(",", rows.getFirst().fields().keySet()));
                for (Row r : rows) out.println(r.fields().values().stream().map(BenchReport::csvValue).collect(Collectors.joining(",")));
            }
            case JSONL -> rows.forEach(r -> out.println(BenchReport.json(withSamples(r))));
            case JSON -> out.println(BenchReport.prettyJson(rows.stream().map(DenseBaselineReport::withSamples).toList()));
            case MD -> throw new IllegalArgumentException("markdown is printed per configuration: markdown(rows, notes)");
        }
        out.flush();
    }

    /** The table of one configuration (rows sharing one setup), its notes below. */
    static String markdown(List<Row> rows, List<String> notes) {
        Setup s = rows.getFirst().setup();
        StringBuilder b = new StringBuilder();
        String file = java.nio.file.Path.of(s.model().file()).getFileName().toString();
        b.append(String.format(Locale.ROOT, "#### dense baseline: %s, one layer of %s weights (%d layers), %d thread(s)%n%n", file,
                BenchReport.humanCount(s.layerWeights()), s.layers(), s.threads()));
        b.append(String.format(Locale.ROOT, "ternary: %s, %.4g bytes/weight, %s per layer; dense: %s, %.4g bytes/weight, %s per layer: "
                        + "%.1fx the memory%n%n", s.kernels(), s.ternaryBytesPerWeight(), BenchReport.humanBytes(s.ternaryLayerBytes()),
                s.denseEngine(), s.denseBytesPerWeight(), BenchReport.humanBytes(s.denseLayerBytes()), s.memoryRatio()));
        b.append(String.format(Locale.ROOT, "| tokens | ternary ms/layer | F32 ms/layer | F32/ternary time | ternary ms/token, %d layers "
                + "| F32 ms/token, %d layers | ternary GB/s | F32 GB/s |%n", s.layers(), s.layers()));
        b.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Row r : rows) {
            double t = r.ternaryAvgNs(), d = r.denseAvgNs();
            b.append(String.format(Locale.ROOT, "| %d | %.3f | %.3f | %sx | %.3f | %.3f | %s | %s |%n", r.tokens(), t / 1e6, d / 1e6,
                    threeDigits(r.speedup()), r.modelMsPerToken(t), r.modelMsPerToken(d), threeDigits(s.ternaryLayerBytes() / t),
                    threeDigits(s.denseLayerBytes() / d)));
        }
        b.append('\n');
        notes.forEach(n -> b.append(n).append('\n'));
        return b.toString();
    }

    /** A rotation this many times the largest cache leaves nothing of a pass's weights there for the next one. */
    private static final int CACHE_MARGIN = 4;

    /** The largest cache of CPU 0 (Linux sysfs: "32768K"), or 0 where it cannot be read. */
    static long largestCacheBytes() {
        long largest = 0;
        java.nio.file.Path dir = java.nio.file.Path.of("/sys/devices/system/cpu/cpu0/cache");
        try (var entries = java.nio.file.Files.list(dir)) {
            for (var index : entries.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
                String size = java.nio.file.Files.readString(index.resolve("size")).trim();
                long unit = size.endsWith("K") ? 1L << 10 : size.endsWith("M") ? 1L << 20 : 1;
                largest = Math.max(largest, Long.parseLong(size.replaceAll("[KM]$", "")) * unit);
            }
        } catch (java.io.IOException | RuntimeException e) {
            return 0; // not Linux, or an unexpected format: the note says the size is unknown
        }
        return largest;
    }

    /** About three significant digits without an exponent: 1234, 56.7, 5.96, 0.0123. */
    static String threeDigits(double v) {
        if (v >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (v >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private static Map<String, Object> withSamples(Row r) {
        Map<String, Object> f = r.fields();
        f.put("ternary_samples_ns", r.ternaryNs());
        f.put("dense_samples_ns", r.denseNs());
        return f;
    }

    /** The notes every run prints: what a pass holds, how the caches were kept out, why there is no BF16 row. */
    static List<String> notes(Setup s, String bf16) {
        List<String> notes = new ArrayList<>();
        notes.add("A layer pass: Q, K, V, O, gate, up and down for every token; the ternary one includes quantizing the activations to int8. "
                + "ms/token = ms/layer x layers / tokens (matrices only: no attention, no output projection).");
        long cache = largestCacheBytes(), smallest = Math.min(s.ternaryRotationBytes(), s.denseRotationBytes());
        notes.add(String.format(Locale.ROOT, "Random weights, each engine rotating over copies of its layer (ternary %s, F32 %s)%s",
                BenchReport.humanBytes(s.ternaryRotationBytes()), BenchReport.humanBytes(s.denseRotationBytes()),
                cache <= 0 ? " so that every pass reads them from memory (the cache size is unknown here)."
                        : smallest >= CACHE_MARGIN * cache ? " so that every pass reads them from memory, not the " + BenchReport.humanBytes(cache) + " cache."
                        : ": under " + CACHE_MARGIN + "x the " + BenchReport.humanBytes(cache) + " cache, passes partly read cached weights (raise --dense-rotate-mib)."));
        if (s.denseThreads() != s.threads())
            notes.add("OpenBLAS runs " + s.denseThreads() + " thread(s), not " + s.threads() + ": its build caps the count.");
        notes.add(bf16 + ".");
        return notes;
    }
}
