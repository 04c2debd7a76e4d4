package io.bitnet4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.model.Model;
import io.bitnet4j.server.OpenAiServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench-serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the HTTP server under concurrent streaming clients: aggregate tokens/s, time to first "
                + "token (TTFT) and inter-token latency (ITL), p50 and p99, against the same requests sent one at a time.",
                "Each request is a streamed /v1/completions call with a random prompt of --prompt-tokens token ids and "
                        + "exactly --max-tokens generated tokens (greedy, ignore_eos). ITL is the gap between two "
                        + "streamed chunks of one request. Then: the TTFT of a new request while --clients - 1 others stream.",
                "Without --url it serves the model (-m, default: the bundled one) on a free loopback port itself."})
final class BenchServeCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--url", paramLabel = "URL", description = "bench a running server (e.g. http://127.0.0.1:8080) instead of starting one")
    String url;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:BITNET4J_API_KEY}", description = "the server's API key, if it needs one")
    String apiKey;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "8", description = "concurrent streaming clients (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "16", description = "requests per phase (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "128", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64", description = "tokens generated per request (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--probes", paramLabel = "N", defaultValue = "5",
            description = "requests sent one after another while --clients - 1 streams run, for the TTFT under load (0: skip) (default: ${DEFAULT-VALUE})")
    int probes;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "32", description = "the started server's --prefill-chunk (default: ${DEFAULT-VALUE})")
    int prefillChunk;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "seed of the random prompts (default: ${DEFAULT-VALUE})")
    long seed;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger HELIDON = Logger.getLogger("io.helidon");

    /** One streamed request as the client saw it. */
    record Sample(double ttft, List<Double> gaps, int tokens) {}

    record Phase(String name, int clients, double wallSeconds, List<Sample> samples) {
        int tokens() {
            return samples.stream().mapToInt(Sample::tokens).sum();
        }

        double tokensPerSecond() {
            return tokens() / wallSeconds;
        }

        double[] ttfts() {
            return samples.stream().mapToDouble(Sample::ttft).sorted().toArray();
        }

        double[] gaps() {
            return samples.stream().flatMap(s -> s.gaps().stream()).mapToDouble(Double::doubleValue).sorted().toArray();
        }
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || requests < 1 || promptTokens < 1 || maxTokens < 1 || probes < 0)
            throw new CliException("--clients, --requests, --prompt-tokens and --max-tokens must be at least 1, --probes at least 0");
        PrintStream err = System.err;
        HELIDON.setLevel(Level.WARNING);
        if (url != null) return bench(url, err);
        try (Model m = model.load(err)) {
            Report.system(err, m);
            var engine = new BatchGenerator.Config(clients, 4 * clients + requests, model.contextLength, prefillChunk, true);
            var http = OpenAiServer.Config.defaults("bench").withPort(0);
            try (OpenAiServer server = OpenAiServer.start(m, model.tokenizer(m), engine, http)) {
                err.printf("serving at %s: %d slots, prefill chunk %d%n", server.url(), clients, prefillChunk);
                return bench(server.url(), err);
            }
        }
    }

    private int bench(String base, PrintStream err) throws Exception {
        Client client = new Client(base, apiKey);
        int[] vocab = client.tokenize(SAMPLE_TEXT);
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < requests; i++) prompts.add(randomPrompt(random, vocab));
        err.println("warming up...");
        client.stream(randomPrompt(random, vocab), 8);
        Phase alone = run("one at a time", 1, prompts, client, err);
        double[] before = client.batchSizes();
        Phase together = run(clients + " clients", clients, prompts, client, err);
        double[] after = client.batchSizes();
        double[] probeTtft = probes > 0 && clients > 1 ? ttftUnderLoad(client, random, vocab, err) : new double[0];

        PrintStream out = System.out;
        out.printf(Locale.ROOT, "prompt %d tokens, %d generated per request, %d requests per phase%n", promptTokens, maxTokens, requests);
        out.println("| phase | clients | wall s | tokens/s | TTFT p50 s | TTFT p99 s | ITL p50 ms | ITL p99 ms |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (Phase p : List.of(alone, together))
            out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %.2f | %.2f | %.1f | %.1f |%n", p.name(), p.clients(), p.wallSeconds(),
                    p.tokensPerSecond(), quantile(p.ttfts(), 0.5), quantile(p.ttfts(), 0.99),
                    1e3 * quantile(p.gaps(), 0.5), 1e3 * quantile(p.gaps(), 0.99));
        out.printf(Locale.ROOT, "%d clients vs one at a time: aggregate tokens/s x%.2f, ITL p99 x%.2f%n", clients,
                together.tokensPerSecond() / alone.tokensPerSecond(), quantile(together.gaps(), 0.99) / quantile(alone.gaps(), 0.99));
        if (before != null && after != null && after[1] > before[1])
            out.printf(Locale.ROOT, "decode steps with %d clients held %.2f sessions on average (%d steps)%n", clients,
                    (after[0] - before[0]) / (after[1] - before[1]), (long) (after[1] - before[1]));
        if (probeTtft.length > 0)
            out.printf(Locale.ROOT, "TTFT of a %d-token prompt while %d other streams run: p50 %.2f s, max %.2f s (%d probes)%n",
                    promptTokens, clients - 1, quantile(probeTtft, 0.5), probeTtft[probeTtft.length - 1], probeTtft.length);
        return 0;
    }

    /** Text whose tokens (in the server's own vocabulary) the random prompts are drawn from: ordinary tokens only. */
    static final String SAMPLE_TEXT = "In the beginning God created the heaven and the earth. And the earth was without form, "
            + "and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. "
            + "And God said, Let there be light: and there was light. And God saw the light, that it was good: and God "
            + "divided the light from the darkness. And God called the light Day, and the darkness he called Night. "
            + "Measure twice, cut once; 42 apples, 7 pears and 1,024 bytes: quick brown foxes jump over lazy dogs.";

    /** A prompt of --prompt-tokens ids drawn at random from {@code pool}: every request its own, none a prefix of another. */
    private int[] randomPrompt(SplittableRandom random, int[] pool) {
        int[] ids = new int[promptTokens];
        for (int i = 0; i < ids.length; i++) ids[i] = pool[random.nextInt(pool.length)];
        return ids;
    }

    /** {@code n} clients take the prompts in turn until none is left; the wall time runs from the first to the last. */
    private Phase run(String name, int n, List<int[]> prompts, Client client, PrintStream err) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        Progress bar = new Progress(err, name, true);
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int c = 0; c < n; c++)
                workers.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < prompts.size(); ) {
                        samples.add(client.stream(prompts.get(i), maxTokens));
                        bar.progress("requests", samples.size(), prompts.size());
                    }
                    return null;
                }));
            for (Future<?> w : workers) w.get();
        }
        Phase p = new Phase(name, n, (System.nanoTime() - start) / 1e9, samples);
        bar.done(String.format(Locale.ROOT, "%d requests in %.1f s, %.2f tokens/s", samples.size(), p.wallSeconds(), p.tokensPerSecond()));
        return p;
    }

    /** clients - 1 long streams run; once all of them are generating, probe requests are sent one after another. */
    private double[] ttftUnderLoad(Client client, SplittableRandom random, int[] vocab, PrintStream err) throws Exception {
        int background = clients - 1;
        CountDownLatch streaming = new CountDownLatch(background);
        CountDownLatch stop = new CountDownLatch(1);
        double[] ttft = new double[probes];
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < background; i++) {
                int[] prompt = randomPrompt(random, vocab);
                running.add(pool.submit(() -> client.streamUntil(prompt, streaming, stop)));
            }
            streaming.await();
            err.printf("%d streams running; probing the time to first token...%n", background);
            for (int i = 0; i < probes; i++) ttft[i] = client.stream(randomPrompt(random, vocab), 1).ttft();
            stop.countDown();
            for (Future<?> f : running) f.get();
        }
        Arrays.sort(ttft);
        return ttft;
    }

    /** The nearest-rank quantile of sorted values. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    /** A streaming client of /v1/completions, on the JDK's HTTP client. */
    private static final class Client {
        private final String base;
        private final String apiKey;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).connectTimeout(Duration.ofSeconds(10)).build();

        Client(String base, String apiKey) {
            this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
            this.apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
        }

        /** The server's token ids of {@code text} (its /tokenize endpoint). */
        int[] tokenize(String text) throws IOException, InterruptedException {
            var r = send("/tokenize", JSON.writeValueAsString(java.util.Map.of("content", text, "parse_special", false)));
            if (r.statusCode() != 200) throw new CliException("cannot tokenize at " + base + "/tokenize: HTTP " + r.statusCode() + " " + r.body());
            JsonNode tokens = JSON.readTree(r.body()).get("tokens");
            int[] ids = new int[tokens.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = tokens.get(i).asInt();
            return ids;
        }

        Sample stream(int[] prompt, int maxTokens) throws IOException, InterruptedException {
            return streamUntil(prompt, maxTokens, null, null);
        }

        /** A stream that runs until told to stop (the background load of the TTFT probe). */
        Void streamUntil(int[] prompt, CountDownLatch started, CountDownLatch stop) throws IOException, InterruptedException {
            streamUntil(prompt, 1 << 20, started, stop);
            return null;
        }

        private Sample streamUntil(int[] prompt, int maxTokens, CountDownLatch started, CountDownLatch stop)
                throws IOException, InterruptedException {
            String body = "{\"prompt\":" + Arrays.toString(prompt).replace(" ", "") + ",\"max_tokens\":" + maxTokens
                    + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
            long sent = System.nanoTime();
            HttpResponse<java.util.stream.Stream<String>> r = http.send(request("/v1/completions", body), HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) {
                String error = String.join("\n", r.body().toList());
                throw new CliException("the server answered HTTP " + r.statusCode() + ": " + error);
            }
            double ttft = -1;
            long last = 0;
            int tokens = 0;
            List<Double> gaps = new ArrayList<>();
            try (var lines = r.body()) {
                var it = lines.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    if (!line.startsWith("data: {")) continue;
                    long now = System.nanoTime();
                    JsonNode chunk = JSON.readTree(line.substring(6));
                    if (chunk.has("error")) throw new CliException("the stream failed: " + chunk.get("error"));
                    JsonNode usage = chunk.get("usage");
                    if (usage != null && !usage.isNull()) tokens = usage.get("completion_tokens").asInt();
                    JsonNode choices = chunk.get("choices");
                    if (choices.isEmpty() || choices.get(0).get("text").asText().isEmpty()) continue;
                    if (ttft < 0) {
                        ttft = (now - sent) / 1e9;
                        if (started != null) started.countDown();
                    } else {
                        gaps.add((now - last) / 1e9);
                    }
                    last = now;
                    if (stop != null && stop.getCount() == 0) break; // closing the stream cancels the generation
                }
            }
            return new Sample(ttft, gaps, tokens);
        }

        /** Sum and count of the server's bitnet4j_batch_size histogram, or null when it has no such metric. */
        double[] batchSizes() throws IOException, InterruptedException {
            var b = HttpRequest.newBuilder(URI.create(base + "/metrics")).GET();
            if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return null;
            double[] sumCount = {Double.NaN, Double.NaN};
            for (String line : r.body().split("\n")) {
                if (line.startsWith("bitnet4j_batch_size_sum ")) sumCount[0] = Double.parseDouble(line.substring(24).trim());
                if (line.startsWith("bitnet4j_batch_size_count ")) sumCount[1] = Double.parseDouble(line.substring(26).trim());
            }
            return Double.isNaN(sumCount[0]) || Double.isNaN(sumCount[1]) ? null : sumCount;
        }

        HttpResponse<String> send(String path, String body) throws IOException, InterruptedException {
            return http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
        }

        private HttpRequest request(String path, String body) {
            var b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            return b.build();
        }
    }
}
