package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench's machine-readable outputs, parsed back: llama-bench's field names, thread lists, -pg, locale-free numbers. */
class BenchCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
    }

    @Test
    void jsonHasLlamaBenchFieldsForEveryThreadCountAndPgTest() throws Exception {
        CliTest.Run r = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "4", "-pg", "8,4", "-t", "1,2", "-r", "2",
                "--no-roofline", "-o", "json", "--no-progress");
        assertEquals(0, r.code(), r.err());
        JsonNode rows = new ObjectMapper().readTree(r.out()); // stdout holds the JSON and nothing else
        assertEquals(6, rows.size(), r.out()); // (pp8, tg4, pp8+tg4) x threads 1, 2
        List<String> seen = new ArrayList<>();
        for (JsonNode row : rows) {
            seen.add(row.get("n_threads").asInt() + ":" + row.get("n_prompt").asInt() + "+" + row.get("n_gen").asInt());
            for (String f : List.of("model_filename", "model_type", "model_size", "model_n_params", "n_batch", "test_time", "avg_ns",
                    "stddev_ns", "avg_ts", "stddev_ts", "samples_ns", "samples_ts", "kernels", "output_type", "roofline"))
                assertTrue(row.has(f), f + " missing in " + row);
            assertEquals(model.toString(), row.get("model_filename").asText());
            assertTrue(row.get("avg_ts").isDouble() && row.get("avg_ts").asDouble() > 0, row.toString());
            assertEquals(2, row.get("samples_ts").size());
            double mean = (row.get("samples_ts").get(0).asDouble() + row.get("samples_ts").get(1).asDouble()) / 2;
            assertEquals(mean, row.get("avg_ts").asDouble(), 1e-9 * mean, "avg_ts is the mean of the samples");
            long tokens = row.get("n_prompt").asLong() + row.get("n_gen").asLong();
            assertEquals(tokens * 1e9 / row.get("samples_ns").get(0).asLong(), row.get("samples_ts").get(0).asDouble(), 1e-6);
            assertEquals("f16", row.get("output_type").asText());
            assertTrue(row.get("roofline").isNull(), "no bandwidth measured: no roofline");
        }
        assertEquals(List.of("1:8+0", "1:0+4", "1:8+4", "2:8+0", "2:0+4", "2:8+4"), seen);
    }

    @Test
    void profileFollowsTheTableAndKeepsJsonClean() throws Exception {
        CliTest.Run md = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "4", "--sessions", "1,2", "-r", "1", "-t", "2",
                "--no-roofline", "--profile", "--no-progress");
        assertEquals(0, md.code(), md.err());
        assertTrue(md.out().contains("#### profile: tg4, 2 thread(s)"), md.out());
        assertTrue(md.out().contains("#### profile: tg4 x2 sessions"), md.out());
        assertTrue(md.out().contains("#### profile: pp8, 2 thread(s)"), "pp tests have a profile too: " + md.out());
        assertTrue(md.out().contains("| Q, K, V projections |") && md.out().contains("parallel regions per pass"), md.out());
        assertTrue(md.out().matches("(?s).*\\| attention \\| [0-9.]+ \\| [0-9.]+ % \\| [0-9.]+ \\|.*"), "attention's KV cache GB/s: " + md.out());
        CliTest.Run json = CliTest.run("", "bench", "-m", model.toString(), "-p", "0", "-n", "4", "-r", "1", "-t", "1",
                "--no-roofline", "--profile", "-o", "json", "--no-progress");
        assertEquals(0, json.code(), json.err());
        assertEquals(1, new ObjectMapper().readTree(json.out()).size(), json.out());
        assertTrue(json.err().contains("#### profile: tg4"), json.err());
    }

    @Test
    void csvAndJsonlParseBackAndIgnoreTheLocale() throws Exception {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY); // writes 24,700 for 24.7 where a format follows the default locale
            CliTest.Run csv = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "4", "-r", "1", "-t", "1", "-o", "csv",
                    "--no-progress", "--no-roofline");
            assertEquals(0, csv.code(), csv.err());
            List<String> lines = csv.out().lines().toList();
            assertEquals(3, lines.size(), csv.out());
            List<String> header = List.of(lines.get(0).split(","));
            assertTrue(header.containsAll(List.of("model_filename", "n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "kernels")), header.toString());
            for (String line : lines.subList(1, 3)) {
                List<String> values = csvFields(line);
                assertEquals(header.size(), values.size(), line);
                double ts = Double.parseDouble(values.get(header.indexOf("avg_ts")));
                assertTrue(ts > 0, line);
                assertEquals("1", values.get(header.indexOf("n_threads")));
            }
            CliTest.Run jsonl = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "-o", "jsonl",
                    "--no-progress", "--no-roofline");
            assertEquals(0, jsonl.code(), jsonl.err());
            List<String> objects = jsonl.out().lines().toList();
            assertEquals(1, objects.size(), jsonl.out());
            assertEquals(8, new ObjectMapper().readTree(objects.getFirst()).get("n_prompt").asInt());
            CliTest.Run md = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "--no-progress", "--no-roofline");
            assertTrue(md.out().matches("(?s).*\\| pp8 \\| \\d+\\.\\d\\d ± \\d+\\.\\d\\d \\|.*"), md.out());
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void depthRunsEachTestAfterAContextAndCountsItsCacheReads() throws Exception {
        CliTest.Run r = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "4", "-d", "0,20", "--sessions", "1,2", "-r", "2",
                "-t", "1", "-o", "jsonl", "--no-progress", "--bandwidth-mib", "128");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : r.out().lines().toList()) rows.add(new ObjectMapper().readTree(line));
        List<String> seen = rows.stream().map(j -> j.get("n_prompt").asInt() + "+" + j.get("n_gen").asInt() + "@" + j.get("n_depth").asInt()
                + "x" + j.get("n_sessions").asInt()).toList();
        assertEquals(List.of("8+0@0x1", "8+0@20x1", "0+4@0x1", "0+4@20x1", "0+4@0x2", "0+4@20x2"), seen);
        for (JsonNode j : rows) {
            // the rate counts the test's tokens only, not the context prefilled before it
            long tokens = (j.get("n_prompt").asLong() + j.get("n_gen").asLong()) * j.get("n_sessions").asLong();
            assertEquals(tokens * 1e9 / j.get("samples_ns").get(0).asLong(), j.get("samples_ts").get(0).asDouble(), 1e-6);
            assertTrue(j.get("kv_bytes_per_position").asLong() > 0, j.toString());
        }
        // at depth each decode step also reads the cache: the bound per step is lower, so the same speed is a larger fraction
        JsonNode shallow = rows.get(2), deep = rows.get(3);
        double perStepShallow = shallow.get("roofline").asDouble() / shallow.get("avg_ts").asDouble();
        double perStepDeep = deep.get("roofline").asDouble() / deep.get("avg_ts").asDouble();
        long kv = deep.get("kv_bytes_per_position").asLong(), weights = deep.get("weight_bytes_per_token").asLong();
        assertEquals((weights + kv * 21.5) / (weights + kv * 1.5), perStepDeep / perStepShallow, 1e-9, deep.toString());
        CliTest.Run md = CliTest.run("", "bench", "-m", model.toString(), "-p", "0", "-n", "4", "-d", "16", "-r", "1", "-t", "1",
                "--no-progress", "--no-roofline");
        assertEquals(0, md.code(), md.err());
        assertTrue(md.out().contains("| tg4 @ d16 |"), "llama-bench's test name: " + md.out());
        CliTest.Run negative = CliTest.run("", "bench", "-m", model.toString(), "-n", "4", "-d", "-1", "--no-progress", "--no-roofline");
        assertEquals(2, negative.code(), negative.err());
        assertTrue(negative.err().contains("-d must not be negative, got -1"), negative.err());
        CliTest.Run tooDeep = CliTest.run("", "bench", "-m", model.toString(), "-p", "0", "-n", "4", "-d", "100000", "--no-progress", "--no-roofline");
        assertEquals(2, tooDeep.code(), tooDeep.err());
        assertTrue(tooDeep.err().contains("tg4 @ d100000 needs 100005 positions, more than the model's context"), tooDeep.err());
    }

    @Test
    void rooflinesMemoryForGenerationComputeForPrompts() throws Exception {
        // A small probe buffer (still beyond the caches): a 1 GiB one can take long to find huge pages on a busy machine.
        CliTest.Run r = CliTest.run("", "bench", "-m", model.toString(), "-p", "8", "-n", "4", "-r", "1", "-t", "1", "-o", "jsonl", "--no-progress",
                "--bandwidth-mib", "128");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : r.out().lines().toList()) rows.add(new ObjectMapper().readTree(line));
        assertNull(rows.get(0).get("roofline").numberValue(), "pp is compute-bound: no memory roofline");
        assertTrue(rows.get(1).get("roofline").asDouble() > 0, rows.get(1).toString());
        assertTrue(rows.get(1).get("memory_bandwidth_gbs").asDouble() > 0.1, rows.get(1).toString());
        assertTrue(r.err().contains("memory read bandwidth with 1 thread(s)"), r.err());
        // the int8 ceiling: measured where the native kernels run, else absent (the Java backends have no MAC loop)
        assertTrue(rows.get(0).get("ternary_macs_per_token").asLong() > 0, rows.get(0).toString());
        if (rows.get(0).get("kernels").asText().startsWith("native")) {
            assertTrue(rows.get(0).get("int8_macs_per_second").asDouble() > 1e7, rows.get(0).toString());
            double fraction = rows.get(0).get("compute_roofline").asDouble();
            assertTrue(fraction > 0 && fraction < 1.5, "pp's share of the int8 ceiling: " + rows.get(0));
            assertTrue(r.err().contains("int8 compute ceiling: native"), r.err());
        } else {
            assertTrue(rows.get(0).get("compute_roofline").isNull(), rows.get(0).toString());
            assertTrue(r.err().contains("int8 compute ceiling: not measured"), r.err());
        }
    }

    @Test
    void attentionListComparesKernelsInOneRun() throws Exception {
        CliTest.Run r = CliTest.run("", "bench", "-m", model.toString(), "-p", "256", "-n", "0", "-r", "1", "-t", "1", "--attention", "java,openblas,auto",
                "--no-roofline", "-o", "json", "--no-progress");
        assertEquals(0, r.code(), r.err());
        JsonNode rows = new ObjectMapper().readTree(r.out());
        List<String> seen = new ArrayList<>();
        for (JsonNode row : rows) seen.add(row.get("attention").asText());
        assertEquals(List.of("java", "openblas", "auto"), seen);
        assertTrue(r.err().contains("attention: java\n") && r.err().contains("attention: OpenBLAS sgemm") && r.err().contains("for every call"), r.err());
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "--attention", "java,cublas", "-p", "8", "-n", "0", "--no-roofline"), 2, "'cublas'");
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "--attention", "openblas", "--numerics", "exact", "-p", "8", "-n", "0",
                "--no-roofline"), 2, "fast numerics only");
    }

    @Test
    void badListsAreUsageErrors() {
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "-pg", "8", "--no-roofline"), 2, "-pg", "PP,TG");
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "-o", "xml", "--no-roofline"), 2, "'xml'");
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "-p", "0", "-n", "0", "--no-roofline"), 2, "no test");
        CliLimitsTest.oneLineError(CliTest.run("", "generate", "-m", model.toString(), "-t", "1,2", "-p", "x"), 2, "a list only in bench");
    }

    @Test
    void denseBaselinePrintsOneRowPerTokenCount() {
        // a small rotation keeps the test short; it is under the cache, which the notes must say
        CliTest.Run r = CliTest.run("", "bench", "-m", model.toString(), "--dense-baseline", "--dense-tokens", "1,3", "--dense-rotate-mib", "2",
                "-t", "2", "-r", "2", "--no-progress");
        assertEquals(0, r.code(), r.err());
        List<String> rows = r.out().lines().filter(l -> l.matches("\\| \\d+ \\|.*")).toList();
        assertEquals(2, rows.size(), r.out());
        for (int i = 0; i < rows.size(); i++) {
            List<String> cells = List.of(rows.get(i).substring(1, rows.get(i).length() - 1).split("\\|")).stream().map(String::strip).toList();
            assertEquals(8, cells.size(), rows.get(i));
            assertEquals(List.of("1", "3").get(i), cells.get(0));
            for (String cell : cells.subList(1, cells.size())) {
                double v = Double.parseDouble(cell.replace("x", ""));
                assertTrue(v > 0 && Double.isFinite(v), cell + " in " + rows.get(i));
            }
        }
        String header = r.out().lines().filter(l -> l.startsWith("| tokens |")).findFirst().orElseThrow();
        assertTrue(header.contains("ternary ms/layer") && header.contains("F32 ms/layer") && header.contains("ms/token, 2 layers"), header);
        assertTrue(r.out().contains("0.2500 bytes/weight") && r.out().contains("4.000 bytes/weight") && r.out().contains("16.0x the memory"), r.out());
        assertTrue(r.out().contains("2 thread(s)"), r.out());
        assertTrue(r.out().contains("BF16: not measured"), r.out());
        String cacheNote = DenseBaselineReport.largestCacheBytes() > 0 ? "partly read cached weights" : "the cache size is unknown";
        assertTrue(r.out().contains(cacheNote), "a 2 MiB rotation is not beyond the caches: " + r.out());
    }

    @Test
    void denseBaselineJsonHasBothEnginesPerTokenCount() throws Exception {
        CliTest.Run r = CliTest.run("", "bench", "-m", model.toString(), "--dense-baseline", "--dense-tokens", "2", "--dense-rotate-mib", "2",
                "-t", "1", "-r", "2", "-o", "json", "--no-progress");
        assertEquals(0, r.code(), r.err());
        JsonNode rows = new ObjectMapper().readTree(r.out()); // stdout holds the JSON only; the notes went to stderr
        assertEquals(1, rows.size(), r.out());
        JsonNode row = rows.get(0);
        assertEquals(2, row.get("n_tokens").asInt());
        assertEquals(1, row.get("n_threads").asInt());
        SyntheticModel.Spec spec = SyntheticModel.Spec.tiny();
        assertEquals(spec.nLayer(), row.get("n_layers").asInt());
        assertEquals(0.25, row.get("ternary_bytes_per_weight").asDouble(), 1e-12, "I2_S: 2 bits a weight");
        assertEquals(4.0, row.get("dense_bytes_per_weight").asDouble(), 1e-12);
        assertEquals(16.0, row.get("memory_ratio").asDouble(), 1e-12);
        for (String engine : List.of("ternary", "dense")) {
            assertEquals(2, row.get(engine + "_samples_ns").size(), row.toString());
            double avg = row.get(engine + "_avg_ns").asDouble();
            assertTrue(avg > 0, row.toString());
            double perToken = row.get(engine + "_model_ms_per_token").asDouble();
            assertEquals(avg * spec.nLayer() / 2 / 1e6, perToken, 1e-6 * perToken + 1e-6, "ms/token = layer time x layers / tokens");
            assertTrue(row.get(engine + "_rotation_bytes").asLong() >= 2L << 20, row.toString());
        }
        assertEquals(row.get("dense_avg_ns").asDouble() / row.get("ternary_avg_ns").asDouble(), row.get("speedup").asDouble(), 1e-3 * row.get("speedup").asDouble());
        assertTrue(r.err().contains("BF16: not measured"), r.err());
    }

    @Test
    void badDenseBaselineValuesAreUsageErrors() {
        for (String bad : List.of("0", "-5", "513"))
            CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "--dense-baseline", "--dense-tokens", bad), 2,
                    "--dense-tokens", "1 to 512", bad);
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "--dense-baseline", "--dense-tokens", "abc"), 2, "'abc'");
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "--dense-tokens", "8", "--no-roofline"), 2,
                "--dense-tokens needs --dense-baseline");
        CliLimitsTest.oneLineError(CliTest.run("", "bench", "-m", model.toString(), "--dense-baseline", "--dense-rotate-mib", "0"), 2,
                "--dense-rotate-mib");
    }

    /** Splits one line of llama-bench csv: quoted fields, "" inside a field for a quote. */
    static List<String> csvFields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                field.append('"');
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        out.add(field.toString());
        return out;
    }
}
