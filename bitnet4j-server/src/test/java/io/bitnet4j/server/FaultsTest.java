package io.bitnet4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.synthetic.SyntheticModel;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input, bad clients and overload: each gets a clear OpenAI error object with the right status. */
class FaultsTest {
    @TempDir
    static Path dir;
    /** A random-weight model with a 4096-token context: a generation told to ignore end tokens runs for seconds. */
    static Path longContext;
    static TestServer bundled;

    @BeforeAll
    static void start() throws Exception {
        longContext = dir.resolve("long.gguf");
        SyntheticModel.write(longContext, new SyntheticModel.Spec("bitnet-b1.58", 512, 256, 2, 4, 1, 768, 4096, 500000f, 1e-5f), null, 5);
        bundled = TestServer.bundled();
    }

    @AfterAll
    static void stop() {
        bundled.close();
    }

    static final String HELLO = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":4}";

    /** A body that must be an OpenAI error object, with no trace of the server's insides. */
    static JsonNode error(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        assertFalse(r.body().contains("io.bitnet4j") || r.body().contains("Exception") || r.body().contains("\tat "), r.body());
        JsonNode e = Wire.JSON.readTree(r.body()).get("error");
        for (String field : new String[] {"message", "type", "param", "code"}) assertTrue(e.has(field), field + " in " + r.body());
        assertFalse(e.get("message").asText().isBlank());
        return e;
    }

    static void assertBadField(String body, String param) throws Exception {
        JsonNode e = error(bundled.post("/v1/chat/completions", body), 400);
        assertEquals(param, e.get("param").asText(), e.toString());
        assertTrue(e.get("message").asText().contains(param), e.toString());
    }

    @Test
    void malformedJsonAndWrongTypesAre400sNamingTheField() throws Exception {
        assertEquals("invalid_json", error(bundled.post("/v1/chat/completions", "{\"messages\": [}"), 400).get("code").asText());
        assertEquals("invalid_json", error(bundled.post("/v1/chat/completions", ""), 400).get("code").asText());
        assertEquals("invalid_json", error(bundled.post("/v1/chat/completions", HELLO + " {}"), 400).get("code").asText());
        assertTrue(error(bundled.post("/v1/chat/completions", "[1, 2]"), 400).get("message").asText().contains("JSON object"));
        assertBadField("{\"messages\":\"hi\"}", "messages");
        assertBadField("{\"temperature\":0}", "messages");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "temperature");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":7}", "temperature");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-1}", "max_tokens");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2.5}", "max_tokens");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":5}", "stop");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}", "stream");
        assertBadField("{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", "messages[0].role");
        assertBadField("{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":3}]}", "messages[0].content");
        JsonNode e = error(bundled.post("/v1/completions", "{\"prompt\":[1, 99999]}"), 400);
        assertEquals("prompt", e.get("param").asText());
        assertEquals("prompt", error(bundled.post("/v1/completions", "{\"max_tokens\":3}"), 400).get("param").asText());
        // still serving
        assertEquals(200, bundled.post("/v1/chat/completions", HELLO).statusCode());
    }

    @Test
    void unsupportedParametersAreRefusedByName() throws Exception {
        String user = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
        assertBadField("{" + user + ",\"n\":2}", "n");
        assertBadField("{" + user + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", "tools");
        assertBadField("{" + user + ",\"tool_choice\":\"auto\"}", "tool_choice");
        assertBadField("{" + user + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}}}", "response_format");
        assertBadField("{" + user + ",\"logprobs\":true}", "logprobs");
        assertBadField("{" + user + ",\"logit_bias\":{\"50\":-100}}", "logit_bias");
        assertBadField("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\",\"tool_call_id\":\"1\"}]}", "messages[0].role");
        assertBadField("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}",
                "messages[0].content[0].type");
        assertEquals("unsupported_parameter", error(bundled.post("/v1/completions", "{\"prompt\":\"x\",\"echo\":true}"), 400).get("code").asText());
        // parameters that change nothing here are accepted, as is an empty tool list
        assertEquals(200, bundled.post("/v1/chat/completions", "{" + user + ",\"max_tokens\":2,\"user\":\"u1\",\"store\":false,"
                + "\"tools\":[],\"response_format\":{\"type\":\"text\"},\"metadata\":{\"a\":\"b\"}}").statusCode());
        // content as text parts
        assertEquals(200, bundled.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":2}").statusCode());
    }

    @Test
    void unknownModelsAndUrlsAre404() throws Exception {
        JsonNode e = error(bundled.post("/v1/chat/completions", "{\"model\":\"gpt-4o\"," + HELLO.substring(1)), 404);
        assertEquals("model_not_found", e.get("code").asText());
        assertTrue(e.get("message").asText().contains(TestServer.MODEL_ID));
        error(bundled.get("/v1/models/gpt-4o"), 404);
        error(bundled.get("/v1/nothing"), 404);
        error(bundled.get("/v1/chat/completions"), 404); // GET on a POST endpoint
        assertEquals(200, bundled.get("/health").statusCode());
        assertEquals("ok", Wire.JSON.readTree(bundled.get("/health").body()).get("status").asText());
    }

    @Test
    void aPromptLongerThanTheContextIs400WithTheNumbers() throws Exception {
        String longText = "And the LORD spake unto Moses, saying, ".repeat(60);
        JsonNode e = error(bundled.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}"), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
        int tokens = bundled.tokenizer.encodeWithBos("User: " + longText + "<|eot_id|>Assistant: ", true).length;
        String message = e.get("message").asText();
        assertTrue(message.contains("256") && message.contains(Integer.toString(tokens)), message);
        assertEquals("messages", e.get("param").asText());
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        try (TestServer small = TestServer.start(TestServer.BUNDLED, BatchGenerator.Config.defaults(), c -> c.withMaxBodyBytes(1024))) {
            String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(5000) + "\"}]}";
            assertEquals("request_too_large", error(small.post("/v1/chat/completions", big), 413).get("code").asText());
            // a chunked body declares no length: counted while read
            var chunked = HttpRequest.newBuilder(URI.create(small.url() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build();
            error(HttpClient.newHttpClient().send(chunked, HttpResponse.BodyHandlers.ofString()), 413);
            assertEquals(200, small.post("/v1/chat/completions", HELLO).statusCode());
        }
    }

    @Test
    void anApiKeyIsRequiredWhereSet() throws Exception {
        try (TestServer locked = TestServer.start(TestServer.BUNDLED, BatchGenerator.Config.defaults(), c -> c.withApiKey("s3cret"))) {
            assertEquals("invalid_api_key", error(locked.post("/v1/chat/completions", HELLO), 401).get("code").asText());
            error(locked.post("/v1/chat/completions", HELLO, "Authorization", "Bearer s3cre"), 401);
            error(locked.post("/v1/chat/completions", HELLO, "Authorization", "Bearer s3cret2"), 401);
            error(locked.post("/v1/chat/completions", HELLO, "Authorization", "s3cret"), 401);
            error(locked.get("/metrics"), 401);
            error(locked.post("/tokenize", "{\"content\":\"x\"}"), 401);
            assertEquals(200, locked.post("/v1/chat/completions", HELLO, "Authorization", "Bearer s3cret").statusCode());
            assertEquals(200, locked.post("/v1/chat/completions", HELLO, "X-Api-Key", "s3cret").statusCode());
            assertEquals(200, locked.get("/health").statusCode());
            assertEquals(200, locked.get("/v1/models").statusCode());
            assertEquals(200, locked.get("/metrics", "Authorization", "Bearer s3cret").statusCode());
        }
    }

    @Test
    void tokenizeAndDetokenizeAsLlamaServer() throws Exception {
        String text = "In the beginning God created the heaven";
        JsonNode tokens = Wire.JSON.readTree(bundled.post("/tokenize", "{\"content\":\"" + text + "\"}").body()).get("tokens");
        int[] ids = bundled.tokenizer.encode(text, true);
        assertEquals(ids.length, tokens.size());
        for (int i = 0; i < ids.length; i++) assertEquals(ids[i], tokens.get(i).asInt());
        JsonNode withBos = Wire.JSON.readTree(bundled.post("/tokenize", "{\"content\":\"x\",\"add_special\":true,\"with_pieces\":true}").body()).get("tokens");
        assertEquals(bundled.tokenizer.bos(), withBos.get(0).get("id").asInt());
        assertEquals("x", withBos.get(1).get("piece").asText());
        String back = Wire.JSON.readTree(bundled.post("/detokenize", "{\"tokens\":" + tokens + "}").body()).get("content").asText();
        assertEquals(text, back);
        assertEquals("tokens", error(bundled.post("/detokenize", "{\"tokens\":[\"a\"]}"), 400).get("param").asText());
    }

    // ------------------------------------------------------------------------------------------ bad clients, overload

    /** A streaming request on a raw socket, read until its first piece of text: the generation is running. */
    static Socket openStream(TestServer s, int maxTokens) throws IOException {
        Socket socket = new Socket("127.0.0.1", s.server.port());
        socket.setSoTimeout(30_000);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Go on\"}],\"stream\":true,\"ignore_eos\":true,\"max_tokens\":" + maxTokens + "}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; )
            if (line.startsWith("data: ") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) return socket;
        throw new AssertionError("the stream ended before any text");
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSession() throws Exception {
        try (TestServer s = TestServer.start(longContext, BatchGenerator.Config.defaults().withParallel(2), c -> c)) {
            Socket socket = openStream(s, 4000);
            assertEquals(1, s.server.generator().stats().active());
            socket.close();
            await(() -> s.server.generator().stats().active() == 0, "the session is freed");
            assertEquals(0, s.metric("bitnet4j_active_sessions"));
            assertEquals(1, s.metric("bitnet4j_client_disconnects_total"));
            assertTrue(s.metric("bitnet4j_generated_tokens_total") < 4000, "cancelled long before the token limit");
            assertEquals(200, s.post("/v1/chat/completions", HELLO).statusCode(), "and the server goes on");
        }
    }

    @Test
    void pastTheQueueRequestsGet429WithRetryAfter() throws Exception {
        try (TestServer s = TestServer.start(longContext, BatchGenerator.Config.defaults().withParallel(1).withMaxQueued(1), c -> c)) {
            Socket running = openStream(s, 4000);
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.post("/v1/chat/completions", HELLO);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> s.server.generator().stats().queued() == 1, "the second request waits");
            HttpResponse<String> refused = s.post("/v1/chat/completions", HELLO);
            JsonNode e = error(refused, 429);
            assertEquals("rate_limit_exceeded", e.get("code").asText());
            assertEquals("1", refused.headers().firstValue("retry-after").orElse(""));
            assertEquals(1, s.metric("bitnet4j_queue_depth"));
            running.close(); // the running stream's client leaves: the waiting request gets the slot
            assertEquals(200, queued.get().statusCode());
        }
    }

    @Test
    void aRequestPastItsTimeoutGets504AndFreesItsSession() throws Exception {
        try (TestServer s = TestServer.start(longContext, BatchGenerator.Config.defaults(), c -> c.withRequestTimeout(Duration.ofMillis(300)))) {
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Go on\"}],\"ignore_eos\":true,\"max_tokens\":4000";
            assertEquals("timeout", error(s.post("/v1/chat/completions", body + "}"), 504).get("code").asText());
            // streamed: the stream ends with an error event
            String stream = s.post("/v1/chat/completions", body + ",\"stream\":true}").body();
            String last = stream.strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("data: {\"error\"") && last.contains("timed out"), last);
            assertEquals(0, s.server.generator().stats().active());
        }
    }
}
