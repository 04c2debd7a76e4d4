package io.bitnet4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Eight clients streaming at once are decoded together, and each gets the answer it gets alone. */
class ConcurrentClientsTest {

    static final String[] QUESTIONS = {
        "Who begat Enos?", "What did God create in the beginning?", "Who slew Goliath?", "Where was Jesus born?",
        "What is the first commandment?", "Who built the ark?", "Who was sold into Egypt by his brethren?",
        "Blessed are the meek, for what?",
    };

    record Answer(String text, String finishReason, long completionTokens) {}

    @Test
    void eightStreamingClientsEachGetTheAnswerTheyGetAlone() throws Exception {
        int maxTokens = 48;
        try (TestServer server = TestServer.bundled()) {
            OpenAIClient client = server.openAi();
            List<Generator.Result> alone = new ArrayList<>();
            for (String q : QUESTIONS) {
                int[] prompt = server.tokenizer.encodeWithBos(ChatTemplate.BITNET.render(List.of(Message.user(q)), true), true);
                alone.add(server.alone(prompt, maxTokens, SamplingParams.greedyParams(), List.of()));
            }
            CyclicBarrier together = new CyclicBarrier(QUESTIONS.length);
            List<Future<Answer>> answers = new ArrayList<>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (String q : QUESTIONS) answers.add(pool.submit(() -> {
                    together.await(30, TimeUnit.SECONDS);
                    return stream(client, q, maxTokens);
                }));
                for (int i = 0; i < QUESTIONS.length; i++) {
                    Answer a = answers.get(i).get(120, TimeUnit.SECONDS);
                    Generator.Result want = alone.get(i);
                    assertEquals(want.text(), a.text(), QUESTIONS[i]);
                    assertEquals(want.tokens().length, a.completionTokens(), QUESTIONS[i]);
                    assertEquals(want.stopReason() == Generator.StopReason.MAX_TOKENS ? "length" : "stop", a.finishReason());
                }
            }
            // they were decoded together: some batch steps held more than one session
            String metrics = server.get("/metrics").body();
            double steps = server.metric("bitnet4j_batch_size_count");
            double single = metrics.lines().filter(l -> l.startsWith("bitnet4j_batch_size_bucket{le=\"1.0\"}"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
            assertTrue(single < steps, "batched steps: " + (steps - single) + " of " + steps);
            assertEquals(0, server.metric("bitnet4j_active_sessions"));
            client.close();
        }
    }

    static Answer stream(OpenAIClient client, String question, int maxTokens) {
        var params = ChatCompletionCreateParams.builder().model(TestServer.MODEL_ID).addUserMessage(question)
                .maxCompletionTokens(maxTokens).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        String[] finish = {null};
        long[] tokens = {-1};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> {
                for (var choice : chunk.choices()) {
                    choice.delta().content().ifPresent(text::append);
                    choice.finishReason().ifPresent(r -> finish[0] = r.asString());
                }
                chunk.usage().ifPresent(u -> tokens[0] = u.completionTokens());
            });
        }
        return new Answer(text.toString(), finish[0], tokens[0]);
    }
}
