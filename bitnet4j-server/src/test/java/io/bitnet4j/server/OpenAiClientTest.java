package io.bitnet4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java client against the server: what it sends, the server understands and answers right. */
class OpenAiClientTest {
    static TestServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.bundled();
        client = server.openAi();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    static final String SYSTEM = "Thou art a scribe.";
    static final String QUESTION = "Who was the father of Enos?";

    static ChatCompletionCreateParams.Builder chat(long maxTokens) {
        return ChatCompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .addSystemMessage(SYSTEM).addUserMessage(QUESTION).maxCompletionTokens(maxTokens).temperature(0.0);
    }

    /** The prompt ids through the template's own rendering (not the server's code path). */
    static int[] chatPrompt() {
        ChatTemplate t = ChatTemplate.BITNET;
        return server.tokenizer.encodeWithBos(t.render(List.of(Message.system(SYSTEM), Message.user(QUESTION)), true), true);
    }

    @Test
    void plainChatAnswersAsTheModelDoesAloneWithTheTokenizersUsage() {
        ChatCompletion c = client.chat().completions().create(chat(24).build());
        Generator.Result want = server.alone(chatPrompt(), 24, SamplingParams.greedyParams(), List.of());
        var choice = c.choices().getFirst();
        assertEquals(want.text(), choice.message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, choice.finishReason());
        var usage = c.usage().orElseThrow();
        assertEquals(chatPrompt().length, usage.promptTokens());
        assertEquals(24, usage.completionTokens());
        assertEquals(usage.promptTokens() + 24, usage.totalTokens());
        assertEquals(TestServer.MODEL_ID, c.model());
        assertTrue(c.id().startsWith("chatcmpl-"));
    }

    @Test
    void aStreamedChatAddsUpToThePlainAnswer() {
        String plain = client.chat().completions().create(chat(30).build()).choices().getFirst().message().content().orElseThrow();
        StringBuilder streamed = new StringBuilder();
        List<String> finish = new ArrayList<>();
        List<Long> completionTokens = new ArrayList<>();
        var params = chat(30).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                for (var choice : chunk.choices()) {
                    choice.delta().content().ifPresent(streamed::append);
                    choice.finishReason().ifPresent(r -> finish.add(r.asString()));
                }
                chunk.usage().ifPresent(u -> completionTokens.add(u.completionTokens()));
            });
        }
        assertEquals(plain, streamed.toString());
        assertEquals(List.of("length"), finish);
        assertEquals(List.of(30L), completionTokens, "one usage chunk, at the end");
    }

    @Test
    void stopStringsEndTheAnswerBeforeThem() {
        String free = client.chat().completions().create(chat(40).build()).choices().getFirst().message().content().orElseThrow();
        String[] words = free.trim().split("\\s+");
        assertTrue(words.length > 3, free);
        String stop = words[2];
        var c = client.chat().completions().create(chat(40).stop(stop).build()).choices().getFirst();
        String text = c.message().content().orElseThrow();
        assertEquals(free.substring(0, free.indexOf(stop)), text);
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.finishReason());
        // a list of stops: the earliest match wins
        var two = client.chat().completions().create(chat(40).stopOfStrings(List.of(words[3], stop)).build());
        assertEquals(text, two.choices().getFirst().message().content().orElseThrow());
    }

    @Test
    void aSeedReproducesSampledTextAlsoWithOtherRequestsRunningBeside() throws Exception {
        var params = chat(24).temperature(0.9).seed(1234L).build();
        String first = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
        List<Future<?>> others = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 5; i++) {
                long seed = i;
                others.add(pool.submit(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model(TestServer.MODEL_ID).addUserMessage("And the LORD spake unto Moses, saying " + seed)
                        .maxCompletionTokens(30).temperature(1.0).seed(seed).build())));
            }
            String beside = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
            assertEquals(first, beside);
            for (Future<?> f : others) f.get();
        }
        // and the seed matters: another one gives another text (checked over a few seeds, any one may coincide)
        boolean differs = false;
        for (long seed = 1; seed <= 3 && !differs; seed++)
            differs = !first.equals(client.chat().completions().create(chat(24).temperature(0.9).seed(seed).build())
                    .choices().getFirst().message().content().orElseThrow());
        assertTrue(differs);
    }

    @Test
    void completionsTakeAPromptStringOrTokenIds() {
        String prompt = "In the beginning God created";
        int[] ids = server.tokenizer.encodeWithBos(prompt, true);
        Generator.Result want = server.alone(ids, 12, SamplingParams.greedyParams(), List.of());
        Completion byText = client.completions().create(CompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .prompt(prompt).maxTokens(12).temperature(0.0).build());
        assertEquals(want.text(), byText.choices().getFirst().text());
        assertEquals(ids.length, byText.usage().orElseThrow().promptTokens());
        Completion byIds = client.completions().create(CompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .prompt(CompletionCreateParams.Prompt.ofArrayOfTokens(Arrays.stream(ids).mapToLong(i -> i).boxed().toList()))
                .maxTokens(12).temperature(0.0).build());
        assertEquals(want.text(), byIds.choices().getFirst().text());
        assertEquals(com.openai.models.completions.CompletionChoice.FinishReason.LENGTH, byIds.choices().getFirst().finishReason());
        // the default limit of the legacy endpoint is 16 tokens, as OpenAI's
        Completion unlimited = client.completions().create(CompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .prompt(prompt).temperature(0.0).build());
        assertEquals(16, unlimited.usage().orElseThrow().completionTokens());
    }

    @Test
    void theModelIsListed() {
        var models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals(TestServer.MODEL_ID, models.getFirst().id());
        assertEquals(TestServer.MODEL_ID, client.models().retrieve(TestServer.MODEL_ID).id());
    }

    @Test
    void unsupportedRequestsBecomeTheClientsTypedErrors() {
        var n = assertThrows(BadRequestException.class, () -> client.chat().completions().create(chat(5).n(2).build()));
        assertTrue(n.getMessage().contains("n > 1"), n.getMessage());
        var json = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                chat(5).responseFormat(ResponseFormatJsonObject.builder().build()).build()));
        assertTrue(json.getMessage().contains("response_format"), json.getMessage());
        var model = assertThrows(NotFoundException.class, () -> client.chat().completions().create(chat(5).model("gpt-4o").build()));
        assertTrue(model.getMessage().contains("gpt-4o"), model.getMessage());
        assertFalse(model.getMessage().contains("Exception"), model.getMessage());
    }

    /** README's Java client snippet, as written there (System.out.println replaced by a variable). */
    @Test
    void readmeClientSnippetRuns() {
        String baseUrl = server.url() + "/v1";
        String printed;
        // --- as in README.md ---
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(baseUrl)          // "http://127.0.0.1:8080/v1"
                .apiKey("none")            // or the server's --api-key
                .build();
        ChatCompletion answer = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("bitnet-kjv-4m")
                .addUserMessage("Who begat Enos?")
                .maxCompletionTokens(64)
                .build());
        printed = answer.choices().getFirst().message().content().orElse("");
        // ---
        client.close();
        assertFalse(printed.isEmpty());
        assertNotEquals(ChatCompletion.Choice.FinishReason.CONTENT_FILTER, answer.choices().getFirst().finishReason());
    }
}
