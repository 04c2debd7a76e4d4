package io.bitnet4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI chat models, unchanged, against the server. */
class LangChain4jClientTest {
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.bundled();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static final ChatRequest REQUEST = ChatRequest.builder()
            .messages(SystemMessage.from("Thou art a scribe."), UserMessage.from("Who begat Enos?")).build();

    static OpenAiChatModel chatModel(int maxTokens, List<String> stop) {
        return OpenAiChatModel.builder().baseUrl(server.url() + "/v1").apiKey("unused").modelName(TestServer.MODEL_ID)
                .temperature(0.0).maxTokens(maxTokens).stop(stop).timeout(Duration.ofSeconds(60)).build();
    }

    static int[] prompt() {
        return server.tokenizer.encodeWithBos(ChatTemplate.BITNET.render(
                List.of(Message.system("Thou art a scribe."), Message.user("Who begat Enos?")), true), true);
    }

    @Test
    void chatModelAnswersWithUsageAndFinishReason() {
        ChatResponse r = chatModel(20, List.of()).chat(REQUEST);
        Generator.Result want = server.alone(prompt(), 20, SamplingParams.greedyParams(), List.of());
        assertEquals(want.text(), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(prompt().length, r.tokenUsage().inputTokenCount());
        assertEquals(20, r.tokenUsage().outputTokenCount());
        assertEquals(TestServer.MODEL_ID, r.modelName());
    }

    @Test
    void stopSequencesEndTheAnswer() {
        String free = chatModel(40, List.of()).chat(REQUEST).aiMessage().text();
        String stop = free.trim().split("\\s+")[2];
        ChatResponse r = chatModel(40, List.of(stop)).chat(REQUEST);
        assertEquals(free.substring(0, free.indexOf(stop)), r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void streamingChatModelStreamsTheSameAnswer() throws Exception {
        String plain = chatModel(30, List.of()).chat(REQUEST).aiMessage().text();
        var streaming = OpenAiStreamingChatModel.builder().baseUrl(server.url() + "/v1").apiKey("unused")
                .modelName(TestServer.MODEL_ID).temperature(0.0).maxTokens(30).timeout(Duration.ofSeconds(60)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(REQUEST, new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String piece) { partial.append(piece); }
            @Override public void onCompleteResponse(ChatResponse response) { done.complete(response); }
            @Override public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(plain, partial.toString());
        assertEquals(plain, r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(30, r.tokenUsage().outputTokenCount(), "LangChain4j asks for the usage chunk");
        assertTrue(partial.length() > 0);
    }

    @Test
    void aToolRequestIsRefusedByName() {
        var tool = dev.langchain4j.agent.tool.ToolSpecification.builder().name("weather").description("the weather").build();
        var request = ChatRequest.builder().messages(UserMessage.from("Weather?")).toolSpecifications(tool).build();
        Throwable error = null;
        try {
            chatModel(10, List.of()).chat(request);
        } catch (RuntimeException e) {
            error = e;
        }
        assertTrue(error != null && error.getMessage().contains("tools"), String.valueOf(error));
        assertFalse(error.getMessage().contains("io.bitnet4j"), "no stack trace from the server: " + error.getMessage());
    }
}
