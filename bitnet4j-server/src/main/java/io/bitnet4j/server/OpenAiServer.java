package io.bitnet4j.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.model.Model;
import io.bitnet4j.tokenizer.Tokenizer;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An OpenAI-compatible HTTP server for one model: {@code POST /v1/chat/completions}, {@code POST /v1/completions}
 * (both also streamed as server-sent events), {@code GET /v1/models}, {@code GET /health}, {@code GET /metrics}
 * (Prometheus), and llama-server's {@code POST /tokenize} and {@code POST /detokenize}. Every request that reaches
 * the model goes through one {@link BatchGenerator}, so concurrent requests decode together.
 *
 * <p>Helidon SE's web server runs each request on its own virtual thread; errors are OpenAI error objects with
 * the matching status, never a stack trace.
 *
 * <pre>{@code
 * try (Model model = Model.load(path);
 *      OpenAiServer server = OpenAiServer.start(model, tokenizer, BatchGenerator.Config.defaults(),
 *              OpenAiServer.Config.defaults("my-model"))) {
 *     System.out.println("listening on " + server.url());
 *     ...
 * }
 * }</pre>
 */
public final class OpenAiServer implements AutoCloseable {

    /**
     * HTTP settings.
     *
     * @param host           address to bind (127.0.0.1: this machine only)
     * @param port           TCP port, 0 for any free one
     * @param modelId        the name clients use for the model ({@code model} field, {@code GET /v1/models})
     * @param apiKey         when not null, every endpoint but {@code /health} and {@code /v1/models} needs
     *                       {@code Authorization: Bearer KEY} (or {@code X-Api-Key: KEY})
     * @param maxBodyBytes   larger request bodies are refused (413)
     * @param requestTimeout a generation request taking longer fails (504) and frees its session
     */
    public record Config(String host, int port, String modelId, String apiKey, long maxBodyBytes, Duration requestTimeout) {
        public Config {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(modelId, "modelId");
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
            if (maxBodyBytes < 1) throw new IllegalArgumentException("the body size limit must be positive, got " + maxBodyBytes);
            if (requestTimeout.isNegative() || requestTimeout.isZero())
                throw new IllegalArgumentException("the request timeout must be positive, got " + requestTimeout);
            if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("the API key must not be blank");
        }

        /** 127.0.0.1:8080, no API key, 2 MiB bodies, 10-minute requests. */
        public static Config defaults(String modelId) {
            return new Config("127.0.0.1", 8080, modelId, null, 2 << 20, Duration.ofMinutes(10));
        }

        public Config withHost(String h) {
            return new Config(h, port, modelId, apiKey, maxBodyBytes, requestTimeout);
        }

        public Config withPort(int p) {
            return new Config(host, p, modelId, apiKey, maxBodyBytes, requestTimeout);
        }

        public Config withApiKey(String key) {
            return new Config(host, port, modelId, key, maxBodyBytes, requestTimeout);
        }

        public Config withMaxBodyBytes(long n) {
            return new Config(host, port, modelId, apiKey, n, requestTimeout);
        }

        public Config withRequestTimeout(Duration t) {
            return new Config(host, port, modelId, apiKey, maxBodyBytes, t);
        }
    }

    private static final System.Logger LOG = System.getLogger("io.bitnet4j.server");
    private static final HeaderName X_API_KEY = HeaderNames.create("X-Api-Key");

    private final Config config;
    private final BatchGenerator generator;
    private final Tokenizer tokenizer;
    private final Metrics metrics;
    private final Requests requests;
    private final Completions completions;
    private final byte[] keyDigest; // null: no key needed
    private final long created = System.currentTimeMillis() / 1000;
    private final WebServer web;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean draining;

    private OpenAiServer(Model model, Tokenizer tokenizer, BatchGenerator.Config engine, Config config) {
        this.config = config;
        this.tokenizer = tokenizer;
        this.keyDigest = config.apiKey() == null ? null : sha256(config.apiKey());
        BatchGenerator[] started = new BatchGenerator[1]; // the metrics read the generator it observes
        this.metrics = new Metrics(() -> started[0].stats());
        this.generator = started[0] = BatchGenerator.start(model, tokenizer, engine, metrics);
        this.requests = new Requests(tokenizer, config.modelId(), generator.contextLength(), config.requestTimeout());
        this.completions = new Completions(generator, metrics, config.modelId());
        try {
            this.web = WebServer.builder().host(config.host()).port(config.port()).shutdownHook(false)
                    .routing(this::routes).build().start();
        } catch (RuntimeException e) {
            generator.close();
            throw e;
        }
    }

    /**
     * Starts the generator ({@code engine.parallel()} sessions) and the HTTP server; returns when it accepts
     * connections. The model must stay open until the server is closed.
     */
    public static OpenAiServer start(Model model, Tokenizer tokenizer, BatchGenerator.Config engine, Config config) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(config, "config");
        return new OpenAiServer(model, tokenizer, engine, config);
    }

    /** The port listened on (the one chosen when the config said 0). */
    public int port() {
        return web.port();
    }

    /** e.g. http://127.0.0.1:8080 */
    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + host + ":" + port();
    }

    public Config config() {
        return config;
    }

    public BatchGenerator generator() {
        return generator;
    }

    /**
     * Graceful stop: new generation requests are refused (503), running and queued ones get up to {@code grace} to
     * finish (the rest end with an error event or a 503), then the listener closes.
     *
     * @return true if every request finished within the grace period
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        draining = true;
        boolean drained = generator.shutdown(grace);
        // the generations are over; let their handlers write the last chunks before the connections close
        long deadline = System.nanoTime() + HANDLER_DRAIN.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        web.stop();
        return drained;
    }

    /** How long a stopping server waits for handlers to finish writing once every generation has ended. */
    private static final Duration HANDLER_DRAIN = Duration.ofSeconds(5);

    /** Stops at once: running requests end with an error. */
    @Override
    public void close() {
        try {
            shutdown(Duration.ZERO);
        } catch (InterruptedException e) {
            web.stop();
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------ routes

    private void routes(HttpRouting.Builder r) {
        r.post("/v1/chat/completions", endpoint("chat_completions", true,
                        (req, res) -> completions.respond(requests.chat(body(req)), Completions.Kind.CHAT, res)))
                .post("/v1/completions", endpoint("completions", true,
                        (req, res) -> completions.respond(requests.completion(body(req)), Completions.Kind.TEXT, res)))
                .get("/v1/models", endpoint("models", false, (req, res) -> Completions.send(res, modelList())))
                .get("/v1/models/{id}", endpoint("models", false, this::model))
                .get("/health", endpoint("health", false, this::health))
                .get("/v1/health", endpoint("health", false, this::health))
                .get("/metrics", endpoint("metrics", true, this::metrics))
                .post("/tokenize", endpoint("tokenize", true, this::tokenize))
                .post("/detokenize", endpoint("detokenize", true, this::detokenize))
                .any(endpoint("unknown", false, (req, res) -> {
                    throw ApiException.notFound(req.prologue().method().text(), req.path().path());
                }));
    }

    /** Wraps a handler: the API key, errors as OpenAI error objects, the request counter. */
    private Handler endpoint(String name, boolean needsKey, Handler handler) {
        return (req, res) -> {
            int status;
            inFlight.incrementAndGet();
            try {
                if (needsKey) checkKey(req);
                handler.handle(req, res);
                status = res.status().code();
            } catch (ApiException e) {
                status = e.status;
                if (!res.isSent()) sendError(res, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = 503;
                if (!res.isSent()) sendError(res, ApiException.unavailable("The server is shutting down."));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.ERROR, "request to " + name + " failed", e);
                status = 500;
                if (!res.isSent()) sendError(res, ApiException.internal());
            } finally {
                inFlight.decrementAndGet();
            }
            metrics.request(name, status);
        };
    }

    static Wire.ErrorBody errorBody(ApiException e) {
        return new Wire.ErrorBody(new Wire.Error(e.getMessage(), e.type, e.param, e.code));
    }

    private static void sendError(ServerResponse res, ApiException e) {
        try {
            res.status(e.status);
            if (e.status == 429) res.header(HeaderNames.RETRY_AFTER, "1");
            Completions.send(res, errorBody(e));
        } catch (IllegalStateException | UncheckedIOException | ServerConnectionException started) {
            // the response had begun (a stream) or the client is gone: there is nobody left to tell
        }
    }

    /** Compares digests of the keys: the time taken says nothing about how much of a guessed key was right. */
    private void checkKey(ServerRequest req) {
        if (keyDigest == null) return;
        String given = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(v -> v.substring(7).trim())
                .or(() -> req.headers().first(X_API_KEY))
                .orElse(null);
        if (given == null) throw ApiException.unauthorized(false);
        if (!MessageDigest.isEqual(sha256(given), keyDigest)) throw ApiException.unauthorized(true);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The body as a JSON object, read up to the size limit. */
    private Fields body(ServerRequest req) throws IOException {
        long limit = config.maxBodyBytes();
        if (req.headers().contentLength().orElse(0) > limit) throw ApiException.tooLarge(limit);
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        }
        if (bytes.length > limit) throw ApiException.tooLarge(limit); // chunked bodies declare no length
        try {
            return Fields.body(Wire.JSON.readTree(bytes));
        } catch (JacksonException e) {
            throw ApiException.malformedJson(e.getOriginalMessage());
        }
    }

    // ------------------------------------------------------------------------------------------ small endpoints

    private Wire.ModelList modelList() {
        return new Wire.ModelList("list", List.of(modelCard()));
    }

    private Wire.ModelCard modelCard() {
        return new Wire.ModelCard(config.modelId(), "model", created, "bitnet4j");
    }

    private void model(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        if (!id.equals(config.modelId())) throw ApiException.modelNotFound(id, config.modelId());
        Completions.send(res, modelCard());
    }

    private void health(ServerRequest req, ServerResponse res) {
        if (draining) throw ApiException.unavailable("The server is shutting down.");
        Completions.send(res, new Wire.Health("ok"));
    }

    private void metrics(ServerRequest req, ServerResponse res) throws IOException {
        res.header(HeaderNames.CONTENT_TYPE, Metrics.CONTENT_TYPE);
        try (OutputStream out = res.outputStream()) {
            metrics.write(out);
        }
    }

    /**
     * llama-server's tokenizer endpoint: {@code {"content": text, "add_special": false, "parse_special": true,
     * "with_pieces": false}} gives {@code {"tokens": [ids]}}, or {@code [{"id", "piece"}]} with pieces.
     */
    private void tokenize(ServerRequest req, ServerResponse res) throws IOException {
        Fields body = body(req);
        String content = body.requiredString("content");
        boolean addSpecial = body.bool("add_special").orElse(false);
        boolean parseSpecial = body.bool("parse_special").orElse(true);
        int[] ids = addSpecial ? tokenizer.encodeWithBos(content, parseSpecial) : tokenizer.encode(content, parseSpecial);
        if (body.bool("with_pieces").orElse(false)) {
            List<Wire.Piece> pieces = new ArrayList<>(ids.length);
            for (int id : ids) pieces.add(new Wire.Piece(id, tokenizer.decode(new int[] {id})));
            Completions.send(res, new Wire.TokenPieces(pieces));
        } else {
            Completions.send(res, new Wire.Tokens(java.util.Arrays.stream(ids).boxed().toList()));
        }
    }

    /** llama-server's {@code {"tokens": [ids]}} to {@code {"content": text}}. */
    private void detokenize(ServerRequest req, ServerResponse res) throws IOException {
        Fields body = body(req);
        JsonNode tokens = body.raw("tokens");
        if (tokens == null) throw ApiException.invalid("tokens", "Missing required parameter: 'tokens'.");
        if (!tokens.isArray()) throw body.wrongType("tokens", "an array of token ids", tokens);
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = tokens.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.intValue() < 0 || t.intValue() >= tokenizer.vocabSize())
                throw ApiException.invalid("tokens", "'tokens[" + i + "]' must be a token id between 0 and " + (tokenizer.vocabSize() - 1) + ", got " + t + ".");
            ids[i] = t.intValue();
        }
        Completions.send(res, new Wire.Content(tokenizer.decode(ids)));
    }
}
