package io.bitnet4j.server;

import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.generation.Completion;
import io.bitnet4j.generation.Generation;
import io.bitnet4j.generation.GenerationListener;
import io.bitnet4j.generation.GenerationTimeoutException;
import io.bitnet4j.generation.Generator.StopReason;
import io.bitnet4j.generation.QueueFullException;
import io.bitnet4j.model.ContextOverflowException;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs a checked completion request on the generator and answers it: one JSON object, or a stream of server-sent
 * events ({@code data: {chunk}} lines, then {@code data: [DONE]}). The generator's listener runs on its scheduler
 * thread and only queues events; this request's own (virtual) thread writes them, so a slow or vanished client never
 * holds up the other streams. A client that goes away mid-stream cancels its generation, which frees its session
 * before the next decode step.
 */
final class Completions {

    /** The two response shapes: chat completions and legacy text completions. */
    enum Kind {
        CHAT("chatcmpl-", "chat.completion", "chat.completion.chunk"),
        TEXT("cmpl-", "text_completion", "text_completion");

        final String idPrefix, object, chunkObject;

        Kind(String idPrefix, String object, String chunkObject) {
            this.idPrefix = idPrefix;
            this.object = object;
            this.chunkObject = chunkObject;
        }
    }

    static final String FINGERPRINT = "bitnet4j";
    /** A comment line is sent after this long without a token, so that a client that went away is noticed. */
    private static final long KEEP_ALIVE_SECONDS = 5;

    private final BatchGenerator generator;
    private final Metrics metrics;
    private final String modelId;

    Completions(BatchGenerator generator, Metrics metrics, String modelId) {
        this.generator = generator;
        this.metrics = metrics;
        this.modelId = modelId;
    }

    void respond(Requests.Ask ask, Kind kind, ServerResponse res) throws InterruptedException {
        Response r = new Response(kind, kind.idPrefix + randomId(), System.currentTimeMillis() / 1000);
        Events events = new Events(metrics, ask.stream());
        Generation generation = submit(ask, events);
        if (ask.stream()) stream(r, ask, generation, events, res);
        else single(r, generation, res);
    }

    private Generation submit(Requests.Ask ask, Events events) {
        try {
            return generator.submit(ask.generation(), events);
        } catch (QueueFullException e) {
            throw ApiException.busy(e.getMessage());
        } catch (ContextOverflowException e) {
            throw ApiException.contextTooLong(ask.promptParam(), e.tokens(), e.contextLength());
        } catch (IllegalStateException e) { // shut down
            throw ApiException.unavailable("The server is shutting down.");
        } catch (IllegalArgumentException e) { // sampling settings the sampler refuses
            throw ApiException.invalid(null, e.getMessage());
        }
    }

    private void single(Response r, Generation generation, ServerResponse res) throws InterruptedException {
        Completion c;
        try {
            c = generation.completion().get();
        } catch (InterruptedException e) {
            generation.cancel();
            throw e;
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
        send(res, r.whole(modelId, c));
    }

    private void stream(Response r, Requests.Ask ask, Generation generation, Events events, ServerResponse res)
            throws InterruptedException {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        boolean finished = false;
        try (OutputStream out = res.outputStream()) {
            if (r.kind == Kind.CHAT) write(out, r.chunk(modelId, "assistant", "", null)); // OpenAI opens with the role
            while (!finished) {
                Object event = events.queue.poll(KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
                switch (event) {
                    case null -> keepAlive(out);
                    case String text -> write(out, r.chunk(modelId, null, text + events.drainText(), null));
                    case Completion c -> {
                        write(out, r.chunk(modelId, null, null, finishReason(c.stopReason())));
                        if (ask.includeUsage()) write(out, r.usageChunk(modelId, c));
                        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                        finished = true;
                    }
                    case RuntimeException e -> {
                        ApiException error = failure(e);
                        write(out, OpenAiServer.errorBody(error));
                        finished = true;
                    }
                    default -> throw new IllegalStateException("unexpected event " + event);
                }
            }
        } catch (IOException | UncheckedIOException | ServerConnectionException e) { // the client went away: free the session
            generation.cancel();
            metrics.disconnected();
        } catch (InterruptedException e) {
            generation.cancel();
            throw e;
        } finally {
            if (!finished) generation.cancel();
        }
    }

    /** What a failed generation tells the client. */
    private static ApiException failure(Throwable cause) {
        return switch (cause) {
            case GenerationTimeoutException t -> ApiException.timeout("The request timed out: " + t.getMessage() + ".");
            case CancellationException c -> ApiException.unavailable("The server shut down before the request finished.");
            default -> {
                System.getLogger("io.bitnet4j.server").log(System.Logger.Level.ERROR, "generation failed", cause);
                yield ApiException.internal();
            }
        };
    }

    static String finishReason(StopReason reason) {
        return switch (reason) {
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case END_OF_GENERATION, STOP_STRING, CANCELLED -> "stop";
        };
    }

    private static void write(OutputStream out, Object json) throws IOException {
        byte[] body = Wire.JSON.writeValueAsBytes(json);
        out.write("data: ".getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void keepAlive(OutputStream out) throws IOException {
        out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII)); // an SSE comment: clients skip it
        out.flush();
    }

    static void send(ServerResponse res, Object json) {
        try {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(Wire.JSON.writeValueAsBytes(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
    }

    private static String randomId() {
        var r = ThreadLocalRandom.current();
        return Long.toHexString(r.nextLong() | Long.MIN_VALUE) + Long.toHexString(r.nextLong() | Long.MIN_VALUE);
    }

    /** The objects of one response, by kind. */
    private record Response(Kind kind, String id, long created) {
        Object whole(String model, Completion c) {
            String reason = finishReason(c.stopReason());
            Wire.Usage usage = usage(c);
            return kind == Kind.CHAT
                    ? new Wire.ChatCompletion(id, kind.object, created, model, FINGERPRINT,
                            List.of(new Wire.ChatChoice(0, new Wire.ChatMessage("assistant", c.text(), null), null, reason)), usage)
                    : new Wire.TextCompletion(id, kind.object, created, model, FINGERPRINT,
                            List.of(new Wire.TextChoice(c.text(), 0, null, reason)), usage);
        }

        /** A piece of text (or the opening role, or the closing finish reason). */
        Object chunk(String model, String role, String text, String finishReason) {
            return kind == Kind.CHAT
                    ? new Wire.ChatChunk(id, kind.chunkObject, created, model, FINGERPRINT,
                            List.of(new Wire.ChunkChoice(0, new Wire.Delta(role, text), null, finishReason)), null)
                    : new Wire.TextCompletion(id, kind.chunkObject, created, model, FINGERPRINT,
                            List.of(new Wire.TextChoice(text == null ? "" : text, 0, null, finishReason)), null);
        }

        /** stream_options.include_usage: a last chunk with no choices and the usage. */
        Object usageChunk(String model, Completion c) {
            return kind == Kind.CHAT
                    ? new Wire.ChatChunk(id, kind.chunkObject, created, model, FINGERPRINT, List.of(), usage(c))
                    : new Wire.TextCompletion(id, kind.chunkObject, created, model, FINGERPRINT, List.of(), usage(c));
        }

        private static Wire.Usage usage(Completion c) {
            return Wire.Usage.of(c.promptTokens(), c.completionTokens(), c.cachedPromptTokens());
        }
    }

    /**
     * The generator's listener for one request: token timing for the metrics, and, when streaming, a queue of
     * events (String text, a Completion, or a RuntimeException) for the request's thread.
     */
    private static final class Events implements GenerationListener {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final Metrics metrics;
        private final boolean streaming;
        private final long submitted = System.nanoTime();
        private long last;

        Events(Metrics metrics, boolean streaming) {
            this.metrics = metrics;
            this.streaming = streaming;
        }

        @Override
        public void onToken(int token) {
            long now = System.nanoTime();
            if (last == 0) metrics.firstToken(now - submitted);
            else metrics.nextToken(now - last);
            last = now;
        }

        @Override
        public void onText(String piece) {
            if (streaming) queue.add(piece);
        }

        @Override
        public void onComplete(Completion completion) {
            metrics.completed(completion);
            if (streaming) queue.add(completion);
        }

        @Override
        public void onError(RuntimeException error) {
            if (streaming) queue.add(error);
        }

        /** Text events already queued behind the one taken, joined: one chunk instead of several when behind. */
        String drainText() {
            StringBuilder text = new StringBuilder();
            while (queue.peek() instanceof String s) {
                queue.poll();
                text.append(s);
            }
            return text.toString();
        }
    }
}
