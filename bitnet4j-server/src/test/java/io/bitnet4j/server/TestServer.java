package io.bitnet4j.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/** A model served on a free loopback port, with the clients the tests talk to it through. */
final class TestServer implements AutoCloseable {
    static final Path BUNDLED = Path.of(System.getProperty("bitnet4j.home", "..")).resolve("models/bitnet-kjv-4m.gguf");
    static final String MODEL_ID = "bitnet-kjv-4m";

    final Model model;
    final Tokenizer tokenizer;
    final OpenAiServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(Path file, BatchGenerator.Config engine, UnaryOperator<OpenAiServer.Config> http) throws IOException {
        // one worker: the models are tiny, and the machine is shared
        this.model = Model.load(file, Model.Options.builder().threads(1).build());
        try {
            this.tokenizer = GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null);
            this.server = OpenAiServer.start(model, tokenizer, engine,
                    http.apply(OpenAiServer.Config.defaults(MODEL_ID).withPort(0)));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The bundled model with 8 slots. */
    static TestServer bundled() throws IOException {
        return start(BUNDLED, BatchGenerator.Config.defaults().withParallel(8), c -> c);
    }

    static TestServer start(Path file, BatchGenerator.Config engine, UnaryOperator<OpenAiServer.Config> http) throws IOException {
        return new TestServer(file, engine, http);
    }

    String url() {
        return server.url();
    }

    OpenAIClient openAi() {
        return openAi("unused");
    }

    OpenAIClient openAi(String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl(url() + "/v1").apiKey(apiKey).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    /** A raw request: status and body. */
    HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60)).GET();
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one unlabelled sample in /metrics. */
    double metric(String name) throws IOException, InterruptedException {
        for (String line : get("/metrics").body().split("\n"))
            if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1).trim());
        throw new AssertionError("no metric " + name);
    }

    /** The same prompt in-process through the single-session Generator, in a fresh session: the reference. */
    Generator.Result alone(int[] prompt, int maxTokens, SamplingParams params, List<String> stops) {
        try (Session s = model.newSession()) {
            return new Generator(s, tokenizer, SamplerChain.from(params)).generate(prompt, maxTokens, stops, Generator.Listener.NONE);
        }
    }

    @Override
    public void close() {
        server.close();
        model.close();
    }
}
