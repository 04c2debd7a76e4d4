package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code bitnet4j serve} as a user runs it: a separate process, the bundled model, curl-like calls, then SIGTERM. */
class ServeCommandTest {
    static final Pattern READY = Pattern.compile("serving (\\S+) at (http://127\\.0\\.0\\.1:\\d+)");

    @Test
    void servesTheBundledModelAndStopsCleanlyOnSigterm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-Dbitnet4j.home=" + System.getProperty("bitnet4j.home", ".."), "-cp", System.getProperty("java.class.path"),
                "io.bitnet4j.cli.Main", "serve", "--port", "0", "-t", "1", "--grace", "20"));
        Process server = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        List<String> log = new ArrayList<>();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(server.getErrorStream(), StandardCharsets.UTF_8));
            Matcher ready = null;
            for (String line; ready == null && (line = err.readLine()) != null; ) {
                log.add(line);
                Matcher m = READY.matcher(line);
                if (m.find()) ready = m;
            }
            assertTrue(ready != null, "no ready line in " + log);
            assertEquals("bitnet-kjv-4m", ready.group(1), "the bundled model, named after its file");
            String url = ready.group(2);
            assertTrue(String.join("\n", log).contains("kernels:"), log.toString());

            HttpClient http = HttpClient.newHttpClient();
            String hello = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":8}";
            HttpResponse<String> plain = http.send(post(url, hello), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, plain.statusCode(), plain.body());
            assertTrue(plain.body().contains("\"object\":\"chat.completion\""), plain.body());

            // a stream running when SIGTERM arrives is finished within the grace period
            String streamed = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":200,\"stream\":true}";
            HttpResponse<Stream<String>> stream = http.send(post(url, streamed), HttpResponse.BodyHandlers.ofLines());
            Iterator<String> lines = stream.body().iterator();
            assertTrue(lines.next().startsWith("data: "), "the stream has begun");
            server.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its stderr)
            String last = "";
            while (lines.hasNext()) {
                String line = lines.next();
                if (!line.isBlank()) last = line;
            }
            assertEquals("data: [DONE]", last);

            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server exits");
            assertEquals(0, server.exitValue(), "exit code after SIGTERM");
            for (String line; (line = err.readLine()) != null; ) log.add(line);
            assertTrue(log.stream().anyMatch(l -> l.startsWith("stopped")), log.toString());
        } finally {
            server.destroyForcibly();
        }
    }

    static HttpRequest post(String url, String json) {
        return HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    @Test
    void benchServeMeasuresConcurrentClientsAgainstOneAtATime() {
        CliTest.Run r = CliTest.run("", "bench-serve", "-t", "1", "--clients", "3", "--requests", "3", "--prompt-tokens", "16",
                "--max-tokens", "8", "--probes", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| one at a time | 1 |"), r.out());
        assertTrue(r.out().contains("| 3 clients | 3 |"), r.out());
        assertTrue(r.out().contains("TTFT of a 16-token prompt while 2 other streams run"), r.out());
    }

    @Test
    void badServeOptionsAreOneLineErrors() {
        CliTest.Run r = CliTest.run("", "serve", "--parallel", "0");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("bitnet4j: parallel sessions must be between 1 and 512"), r.err());
    }
}
