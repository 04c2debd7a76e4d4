package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BitNetChatModelTest {

    /** One generator for every chat model of this class, as an application shares one. */
    private static BatchGenerator generator;

    @BeforeAll
    static void start() {
        generator = BatchGenerator.start(BundledModel.shared(), BundledModel.tokenizer(), BatchGenerator.Config.defaults(),
                BatchGenerator.StepObserver.NONE);
    }

    @AfterAll
    static void stop() {
        generator.close();
    }

    private static BitNetChatModel.Builder shared() {
        return BitNetChatModel.builder().batchGenerator(generator);
    }

    @Test
    void plainChatAnswersWhatTheCoreGeneratesForTheTemplatedPrompt() {
        BitNetChatModel model = shared().temperature(0.0).maxTokens(24).build();
        String answer = model.chat("In the beginning");
        Generator.Result expected = BundledModel.greedy(List.of(ChatTemplate.Message.user("In the beginning")), 24);
        assertFalse(answer.isBlank());
        assertEquals(expected.text(), answer);
        assertEquals("bitnet-kjv-4m", model.modelName());
    }

    interface Scribe {
        @dev.langchain4j.service.SystemMessage("Thou art a scribe of the law.")
        Result<String> write(String text);
    }

    @Test
    void aiServiceSendsItsSystemMessageThroughTheTemplate() {
        BitNetChatModel model = shared().temperature(0.0).maxTokens(20).build();
        Result<String> result = AiServices.create(Scribe.class, model).write("And Moses said");

        List<ChatTemplate.Message> chat = List.of(ChatTemplate.Message.system("Thou art a scribe of the law."),
                ChatTemplate.Message.user("And Moses said"));
        assertEquals(BundledModel.greedy(chat, 20).text(), result.content());
        Tokenizer tok = BundledModel.tokenizer();
        assertEquals(tok.encodeWithBos(ChatTemplate.BITNET.render(chat, true), true).length,
                result.tokenUsage().inputTokenCount());
        assertEquals(FinishReason.LENGTH, result.finishReason());
    }

    @Test
    void tokenUsageIsTheTokenizersCount() {
        BitNetChatModel model = shared().temperature(0.0).maxTokens(17).build();
        List<ChatMessage> messages = List.of(SystemMessage.from("Be brief."), UserMessage.from("Who begat Enos?"),
                AiMessage.from("Seth begat Enos."), UserMessage.from("And who begat Seth?"));
        ChatResponse response = model.chat(messages);

        List<ChatTemplate.Message> chat = List.of(ChatTemplate.Message.system("Be brief."), ChatTemplate.Message.user("Who begat Enos?"),
                ChatTemplate.Message.assistant("Seth begat Enos."), ChatTemplate.Message.user("And who begat Seth?"));
        int promptTokens = BundledModel.tokenizer().encodeWithBos(ChatTemplate.BITNET.render(chat, true), true).length;
        Generator.Result expected = BundledModel.greedy(chat, 17);
        assertEquals(promptTokens, response.tokenUsage().inputTokenCount());
        assertEquals(17, response.tokenUsage().outputTokenCount());
        assertEquals(expected.tokens().length, response.tokenUsage().outputTokenCount());
        assertEquals(promptTokens + 17, response.tokenUsage().totalTokenCount());
        assertEquals(expected.text(), response.aiMessage().text());
        assertEquals(FinishReason.LENGTH, response.finishReason());
        assertEquals(promptTokens, model.tokenCountEstimator().estimateTokenCountInMessages(messages));
        assertEquals(BundledModel.tokenizer().encode("Seth begat Enos.", false).length,
                model.tokenCountEstimator().estimateTokenCountInText("Seth begat Enos."));
    }

    @Test
    void aConversationEndingWithAnAiMessageIsContinued() {
        BitNetChatModel model = shared().temperature(0.0).maxTokens(12).build();
        ChatResponse response = model.chat(UserMessage.from("Who begat Enos?"), AiMessage.from("Seth"));
        String expected = BundledModel.generate("User: Who begat Enos?<|eot_id|>Assistant: Seth",
                SamplingParams.greedyParams(), 12, List.of()).text();
        assertEquals(expected, response.aiMessage().text());
    }

    @Test
    void stopSequenceEndsTheReplyWithFinishReasonStop() {
        String full = BundledModel.greedy(List.of(ChatTemplate.Message.user("And God said")), 40).text();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3); // a piece of what it will say
        String before = full.substring(0, full.indexOf(stop));

        ChatResponse response = shared().temperature(0.0).maxTokens(40).stopSequences(List.of(stop)).build()
                .chat(UserMessage.from("And God said"));
        assertEquals(before, response.aiMessage().text());
        assertEquals(FinishReason.STOP, response.finishReason());
        assertTrue(response.tokenUsage().outputTokenCount() < 40);
    }

    @Test
    void aSeedReproducesSampledText() {
        BitNetChatModel seeded = shared().temperature(0.9).seed(42L).maxTokens(30).build();
        String first = seeded.chat("The LORD is my shepherd");
        assertEquals(first, seeded.chat("The LORD is my shepherd"));
        assertEquals(first, shared().temperature(0.9).seed(42L).maxTokens(30).build().chat("The LORD is my shepherd"));
        // The core's sampler with the same settings draws the same tokens.
        SamplingParams sampling = SamplingParams.defaults().withTemperature(0.9f).withSeed(42L);
        assertEquals(BundledModel.generate(List.of(ChatTemplate.Message.user("The LORD is my shepherd")), sampling, 30, List.of()).text(), first);

        // A per-request seed overrides the default one.
        ChatRequest other = ChatRequest.builder().messages(UserMessage.from("The LORD is my shepherd"))
                .parameters(BitNetChatRequestParameters.builder().seed(7L).build()).build();
        String seven = seeded.chat(other).aiMessage().text();
        assertNotEquals(first, seven);
        assertEquals(seven, seeded.chat(other).aiMessage().text());
    }

    @Test
    void requestParametersOverrideTheDefaults() {
        BitNetChatModel model = shared().temperature(0.0).maxTokens(30).build();
        ChatResponse response = model.chat(ChatRequest.builder().messages(UserMessage.from("In the beginning"))
                .maxOutputTokens(5).build());
        assertEquals(5, response.tokenUsage().outputTokenCount());
        assertEquals(BundledModel.greedy(List.of(ChatTemplate.Message.user("In the beginning")), 5).text(), response.aiMessage().text());
    }

    @Test
    void anInterruptedCallerStopsItsGeneration() {
        BitNetChatModel model = shared().temperature(0.0).maxTokens(50).build();
        Thread.currentThread().interrupt();
        try {
            LangChain4jException e = assertThrows(LangChain4jException.class, () -> model.chat("In the beginning"));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set for the caller");
        } finally {
            Thread.interrupted();
        }
    }
}
