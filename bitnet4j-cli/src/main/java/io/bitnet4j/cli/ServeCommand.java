package io.bitnet4j.cli;

import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.model.Model;
import io.bitnet4j.server.OpenAiServer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the model over an OpenAI-compatible HTTP API (chat completions, completions, models, "
                + "health, Prometheus metrics, tokenize): any OpenAI client, LangChain4j or curl can use it.",
                "Concurrent requests decode together (continuous batching). Stop with Ctrl-C or SIGTERM: running "
                        + "requests get --grace seconds to finish."})
final class ServeCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to listen on; 0.0.0.0 exposes the server to the network (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "TCP port, 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "4",
            description = "requests generating at once, decoded together; each holds a KV cache of --ctx-size positions (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "requests that may wait for a free slot; more are answered 429 with Retry-After (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:BITNET4J_API_KEY}",
            description = "require 'Authorization: Bearer KEY' (default: $BITNET4J_API_KEY, else none)")
    String apiKey;

    @Option(names = "--alias", paramLabel = "NAME", description = "model name clients use (default: the file name without .gguf)")
    String alias;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "32",
            description = "prompt tokens read between two decode steps of the running requests: smaller keeps streams "
                    + "smoother while a new prompt is read, larger reads prompts faster (default: ${DEFAULT-VALUE})")
    int prefillChunk;

    @Option(names = "--no-prompt-cache", description = "always read whole prompts (by default a request that continues a "
            + "conversation reuses the KV cache of its previous turn)")
    boolean noPromptCache;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "a request taking longer fails with 504 and frees its slot (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "2097152",
            description = "larger request bodies are refused with 413 (default: ${DEFAULT-VALUE})")
    long maxBody;

    @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM or Ctrl-C, time running requests get to finish (default: ${DEFAULT-VALUE})")
    long graceSeconds;

    /** Helidon reports every start at INFO; the command prints its own line. Held: loggers are weakly referenced. */
    private static final Logger HELIDON = Logger.getLogger("io.helidon");

    @Override
    public Integer call() throws InterruptedException {
        PrintStream err = System.err;
        HELIDON.setLevel(Level.WARNING);
        BatchGenerator.Config engine;
        OpenAiServer.Config http;
        try {
            engine = new BatchGenerator.Config(parallel, queue, model.contextLength, prefillChunk, !noPromptCache);
            http = OpenAiServer.Config.defaults(modelId()).withHost(host).withPort(port)
                    .withApiKey(apiKey == null || apiKey.isEmpty() ? null : apiKey).withMaxBodyBytes(maxBody)
                    .withRequestTimeout(Duration.ofSeconds(timeoutSeconds));
            if (graceSeconds < 0) throw new IllegalArgumentException("--grace must not be negative, got " + graceSeconds);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        try (Model m = model.load(err)) {
            Report.system(err, m);
            Tokenizer tokenizer = model.tokenizer(m);
            CountDownLatch stop = new CountDownLatch(1);
            Signal.handle(new Signal("TERM"), s -> stop.countDown());
            Signal.handle(new Signal("INT"), s -> stop.countDown());
            OpenAiServer server;
            try {
                server = OpenAiServer.start(m, tokenizer, engine, http);
            } catch (java.io.UncheckedIOException e) {
                throw new CliException("cannot listen on " + host + ":" + port + ": " + e.getCause().getMessage());
            }
            err.printf("serving %s at %s (OpenAI API under /v1) | %d parallel slots of %d positions, queue %d%s%n",
                    http.modelId(), server.url(), parallel, server.generator().contextLength(), queue,
                    http.apiKey() != null ? " | API key required" : "");
            err.printf("try: curl %s/v1/chat/completions -H 'Content-Type: application/json' -d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'%n",
                    server.url());
            stop.await();
            err.printf("stopping: running requests get %d s to finish...%n", graceSeconds);
            boolean drained = server.shutdown(Duration.ofSeconds(graceSeconds));
            err.println(drained ? "stopped" : "stopped (requests still running after the grace period were cancelled)");
        }
        return 0;
    }

    private String modelId() {
        if (alias != null) return alias;
        String file = model.modelPath().getFileName().toString();
        return file.endsWith(".gguf") ? file.substring(0, file.length() - 5) : file;
    }
}
