package io.bitnet4j.server;

import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.generation.Completion;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/** The server's Prometheus metrics (GET /metrics, text format). Thread-safe. */
final class Metrics implements BatchGenerator.StepObserver {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    private final Counter requests = Counter.builder().name("bitnet4j_requests")
            .help("HTTP requests answered, by endpoint and status").labelNames("endpoint", "status").register(registry);
    private final Counter promptTokens = Counter.builder().name("bitnet4j_prompt_tokens")
            .help("Prompt tokens of finished generation requests").register(registry);
    private final Counter cachedPromptTokens = Counter.builder().name("bitnet4j_prompt_cache_reused_tokens")
            .help("Prompt tokens taken from the prompt cache instead of being read again").register(registry);
    private final Counter generatedTokens = Counter.builder().name("bitnet4j_generated_tokens")
            .help("Tokens generated").register(registry);
    private final Counter disconnects = Counter.builder().name("bitnet4j_client_disconnects")
            .help("Streams whose client went away before the end (the session was freed)").register(registry);
    private final Histogram batchSize = Histogram.builder().name("bitnet4j_batch_size")
            .help("Sessions decoded together in one batch step").classicOnly()
            .classicUpperBounds(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64).register(registry);
    private final Histogram prefillTokens = Histogram.builder().name("bitnet4j_prefill_chunk_tokens")
            .help("Prompt tokens read in one scheduler iteration").classicOnly()
            .classicUpperBounds(1, 4, 8, 16, 32, 64, 128, 256).register(registry);
    private final Histogram stepSeconds = Histogram.builder().name("bitnet4j_step_seconds")
            .help("Duration of one scheduler iteration (a prompt chunk and a batch step)").classicOnly()
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5).register(registry);
    private final Histogram timeToFirstToken = Histogram.builder().name("bitnet4j_time_to_first_token_seconds")
            .help("From a request's arrival to its first generated token").classicOnly()
            .classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32).register(registry);
    private final Histogram interTokenLatency = Histogram.builder().name("bitnet4j_inter_token_latency_seconds")
            .help("Between two consecutive tokens of one request").classicOnly()
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5).register(registry);

    Metrics(Supplier<BatchGenerator.Stats> stats) {
        GaugeWithCallback.builder().name("bitnet4j_queue_depth").help("Requests waiting for a free session")
                .callback(cb -> cb.call(stats.get().queued())).register(registry);
        GaugeWithCallback.builder().name("bitnet4j_active_sessions").help("Requests holding a session")
                .callback(cb -> cb.call(stats.get().active())).register(registry);
        GaugeWithCallback.builder().name("bitnet4j_parallel_sessions").help("Sessions (--parallel)")
                .callback(cb -> cb.call(stats.get().parallel())).register(registry);
    }

    void request(String endpoint, int status) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
    }

    void firstToken(long nanos) {
        timeToFirstToken.observe(nanos / 1e9);
    }

    void nextToken(long nanos) {
        interTokenLatency.observe(nanos / 1e9);
    }

    void completed(Completion c) {
        promptTokens.inc(c.promptTokens());
        cachedPromptTokens.inc(c.cachedPromptTokens());
        generatedTokens.inc(c.completionTokens());
    }

    void disconnected() {
        disconnects.inc();
    }

    @Override
    public void onStep(int decodeSessions, int prefill, long nanos) {
        if (decodeSessions > 0) batchSize.observe(decodeSessions);
        if (prefill > 0) prefillTokens.observe(prefill);
        stepSeconds.observe(nanos / 1e9);
    }

    void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
