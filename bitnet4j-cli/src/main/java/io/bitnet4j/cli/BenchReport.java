package io.bitnet4j.cli;

import io.bitnet4j.model.ResidentMemory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * bench's results in llama-bench's formats and field names (so scripts written for llama-bench read them), plus
 * bitnet4j's own fields: kernels, output type, attention kernel, numerics, sessions, memory bandwidth, weight bytes per token and
 * the roofline fraction. Numbers never depend on the locale: JSON and CSV go through Jackson or Locale.ROOT.
 */
final class BenchReport {

    enum Format {
        MD, CSV, JSON, JSONL;

        static Format parse(String name) {
            return switch (name) {
                case "md" -> MD;
                case "csv" -> CSV;
                case "json" -> JSON;
                case "jsonl" -> JSONL;
                default -> throw new UsageException("unknown output format '" + name + "', expected md, csv, json or jsonl");
            };
        }
    }

    /** What llama-bench reports about the model and the build, the same for every row of one file. */
    record ModelFacts(String file, String arch, long sizeBytes, long params, boolean mmap, String cpu, String build) {
        /** llama-bench's model_type, e.g. "bitnet-b1.58 2.4B I2_S". */
        String type() {
            return arch + " " + humanCount(params).replace(" ", "") + " I2_S";
        }
    }

    /**
     * The int8 compute ceiling of one configuration: the MAC rate of the kernels' ISA on all its threads at once
     * ({@code Model.measureInt8MacsPerSecond}, 0 when not measured or when the backend has no MAC loop) and the
     * ternary multiply-accumulates of one token.
     */
    record ComputeCeiling(double macsPerSecond, long macsPerToken) {
        static final ComputeCeiling NONE = new ComputeCeiling(0, 0);

        /** The most tokens per second the ternary products allow, 0 when unknown. */
        double tokensPerSecond() {
            return macsPerSecond > 0 && macsPerToken > 0 ? macsPerSecond / macsPerToken : 0;
        }
    }

    /**
     * One measured test.
     *
     * @param samplesNs      nanoseconds of each repetition
     * @param attention      the attention kernel: auto, java, openblas, or "auto: java" where OpenBLAS is off
     * @param bandwidth      measured read bandwidth in bytes/s, 0 when not measured
     * @param bytesPerToken  weight bytes one decode step reads
     * @param kvBytesPerPosition KV cache bytes one decode step reads per position of its session's context
     * @param cacheType      the KV cache type (f16, q8)
     * @param memory         where the process's memory was at the end of the test, its sessions still open
     * @param ceiling        the int8 compute ceiling of the configuration (rate 0 when not measured)
     */
    record Row(ModelFacts model, int threads, int batch, String kernels, String outputType, String attention, String numerics, BenchCommand.Test test,
               String time, List<Long> samplesNs, double bandwidth, long bytesPerToken, long kvBytesPerPosition, String cacheType,
               ResidentMemory memory, ComputeCeiling ceiling) {

        int prompt() {
            return test.prompt();
        }

        int gen() {
            return test.gen();
        }

        int sessions() {
            return test.sessions();
        }

        /** Tokens per second of each repetition: every token of every session (the depth's context is not counted, as in llama-bench). */
        List<Double> samplesTs() {
            long tokens = (long) (test.prompt() + test.gen()) * test.sessions();
            return samplesNs.stream().map(ns -> tokens * 1e9 / ns).toList();
        }

        double avgTs() {
            return mean(samplesTs());
        }

        double stddevTs() {
            return stddev(samplesTs());
        }

        /**
         * Bytes one decode step reads on average: the weights once for every session, and each session's KV cache over
         * its mean context (the depth, then half the generated tokens).
         */
        double bytesPerStep() {
            return bytesPerToken + (double) sessions() * kvBytesPerPosition * (test.depth() + (test.gen() - 1) / 2.0);
        }

        /**
         * Generation speed as a fraction of the memory roofline (bandwidth / bytes per step, each pass over the
         * weights serving every session); null for tests with a prompt, which are compute-bound, or unmeasured.
         */
        Double roofline() {
            if (bandwidth <= 0 || prompt() > 0) return null;
            return avgTs() / sessions() / (bandwidth / bytesPerStep());
        }

        /**
         * Speed as a fraction of the int8 compute ceiling (the ternary products alone at the ISA's peak MAC rate):
         * the bound of prefill and of many sessions decoding together; null when not measured.
         */
        Double computeRoofline() {
            double bound = ceiling.tokensPerSecond();
            return bound > 0 ? avgTs() / bound : null;
        }

        /** The table's roofline cell: memory for one-session generation, int8 compute with a prompt, both with sessions. */
        String rooflineCell() {
            Double memory = roofline(), compute = computeRoofline();
            String m = memory == null ? null : String.format(Locale.ROOT, "%.0f %%", 100 * memory);
            String c = compute == null ? null : String.format(Locale.ROOT, "%.0f %% int8", 100 * compute);
            if (prompt() > 0) return c == null ? "" : c;
            if (sessions() > 1 && m != null && c != null) return m + " mem, " + c;
            return m == null ? "" : m;
        }

        /** The fields in llama-bench's names and order, then bitnet4j's. Values typed as llama-bench types them. */
        Map<String, Object> fields() {
            List<Double> ns = samplesNs.stream().map(Long::doubleValue).toList();
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("build_commit", model.build());
            f.put("cpu_info", model.cpu());
            f.put("gpu_info", "");
            f.put("backends", "CPU");
            f.put("model_filename", model.file());
            f.put("model_type", model.type());
            f.put("model_size", model.sizeBytes());
            f.put("model_n_params", model.params());
            f.put("n_batch", batch);
            f.put("n_ubatch", batch);
            f.put("n_threads", threads);
            String kv = cacheType.equals("q8") ? "q8_0" : cacheType; // llama.cpp's name for the same layout
            f.put("type_k", kv);
            f.put("type_v", kv);
            f.put("n_gpu_layers", 0);
            f.put("use_mmap", model.mmap());
            f.put("n_prompt", prompt());
            f.put("n_gen", gen());
            f.put("n_depth", test.depth());
            f.put("test_time", time);
            f.put("avg_ns", Math.round(mean(ns)));
            f.put("stddev_ns", Math.round(stddev(ns)));
            f.put("avg_ts", avgTs());
            f.put("stddev_ts", stddevTs());
            f.put("kernels", kernels);
            f.put("output_type", outputType);
            f.put("attention", attention);
            f.put("numerics", numerics);
            f.put("n_sessions", sessions());
            f.put("memory_bandwidth_gbs", bandwidth > 0 ? bandwidth / 1e9 : null);
            f.put("weight_bytes_per_token", bytesPerToken);
            f.put("kv_bytes_per_position", kvBytesPerPosition);
            f.put("roofline", roofline());
            f.put("int8_macs_per_second", ceiling.macsPerSecond() > 0 ? ceiling.macsPerSecond() : null);
            f.put("ternary_macs_per_token", ceiling.macsPerToken());
            f.put("compute_roofline", computeRoofline());
            f.put("rss_bytes", memory.resident());
            f.put("rss_peak_bytes", memory.peak());
            f.put("mem_weights_bytes", memory.weights());
            f.put("mem_f16_table_bytes", memory.f16Table());
            f.put("mem_output_copy_bytes", memory.outputCopy());
            f.put("mem_kv_bytes", memory.kvCache());
            f.put("mem_jvm_heap_bytes", memory.jvmHeap());
            f.put("mem_other_bytes", memory.other());
            return f;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final Format format;
    private final PrintStream out;
    private final List<Map<String, Object>> jsonRows = new ArrayList<>();
    private int rows;

    BenchReport(Format format, PrintStream out) {
        this.format = format;
        this.out = out;
    }

    void begin() {
        switch (format) {
            case MD -> {
                out.println("| model | size | params | threads | n_batch | kernels | output | attention | test | t/s | roofline | rss |");
                out.println("| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: |");
            }
            case CSV, JSON, JSONL -> {} // the CSV header comes with the first row: it is that row's field names
        }
    }

    void add(Row r) {
        switch (format) {
            case MD -> out.println(markdown(r));
            case CSV -> {
                if (rows++ == 0) out.println(String.join(",", r.fields().keySet()));
                out.println(csvLine(r));
            }
            case JSONL -> out.println(json(withSamples(r)));
            case JSON -> jsonRows.add(withSamples(r)); // printed whole at the end: one valid JSON array
        }
        out.flush();
    }

    void end() {
        if (format == Format.JSON) out.println(prettyJson(jsonRows));
    }

    static String markdown(Row r) {
        String file = java.nio.file.Path.of(r.model().file()).getFileName().toString();
        return String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %s | %s | %s | %s | %.2f ± %.2f | %s | %s |", file,
                humanBytes(r.model().sizeBytes()), humanCount(r.model().params()), r.threads(), r.batch(), r.kernels(),
                r.outputType(), r.attention(), r.test().name(), r.avgTs(), r.stddevTs(), r.rooflineCell(),
                r.memory().resident() < 0 ? "" : humanBytes(r.memory().resident()));
    }

    /** A line of llama-bench's csv: every value quoted; the per-repetition samples only in JSON. */
    static String csvLine(Row r) {
        return r.fields().values().stream().map(BenchReport::csvValue).collect(Collectors.joining(","));
    }

    static String csvValue(Object v) {
        String s = v == null ? "" : v instanceof Double d ? String.format(Locale.ROOT, "%.6f", d) : String.valueOf(v);
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static Map<String, Object> withSamples(Row r) {
        Map<String, Object> f = r.fields();
        f.put("samples_ns", r.samplesNs());
        f.put("samples_ts", r.samplesTs());
        return f;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A value as pretty-printed JSON (a whole document, e.g. the array of every row). */
    static String prettyJson(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static double mean(List<Double> v) {
        return v.stream().mapToDouble(d -> d).average().orElse(0);
    }

    /** Sample standard deviation (n - 1), 0 for a single value, as llama-bench computes it. */
    static double stddev(List<Double> v) {
        if (v.size() < 2) return 0;
        double m = mean(v);
        return Math.sqrt(v.stream().mapToDouble(d -> (d - m) * (d - m)).sum() / (v.size() - 1));
    }

    static String humanBytes(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
    }

    static String humanCount(long n) {
        return n >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f B", n / 1e9) : String.format(Locale.ROOT, "%.2f M", n / 1e6);
    }
}
