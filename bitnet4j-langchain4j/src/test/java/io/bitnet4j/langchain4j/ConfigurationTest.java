package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.model.OutputType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationTest {

    /** Asserts the call fails with the given type and a message holding every fragment; returns it. */
    private static <T extends Throwable> T fails(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        return e;
    }

    private static void building(Consumer<BitNetChatModel.Builder> settings, String... fragments) {
        BitNetChatModel.Builder builder = BitNetChatModel.builder().modelPath(BundledModel.FILE);
        settings.accept(builder);
        fails(IllegalArgumentException.class, builder::build, fragments);
    }

    @Test
    void aMissingOrUnreadableModelFileIsNamed(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-model.gguf");
        fails(IllegalArgumentException.class, () -> BitNetChatModel.builder().modelPath(missing).build(),
                "model file not found", missing.toString());
        fails(IllegalArgumentException.class, () -> BitNetStreamingChatModel.builder().modelPath(dir).build(), "not a file");
        Path text = Files.writeString(dir.resolve("notes.gguf"), "these are not the weights you are looking for\n");
        fails(IllegalArgumentException.class, () -> BitNetChatModel.builder().modelPath(text).build(),
                "cannot load", "notes.gguf");
        fails(IllegalArgumentException.class, () -> BitNetChatModel.builder().build(), "modelPath is required");
    }

    @Test
    void valuesOutOfRangeAreNamedBeforeTheFileIsLoaded() {
        building(b -> b.maxTokens(-5), "maxTokens", "-5");
        building(b -> b.maxTokens(0), "maxTokens");
        building(b -> b.temperature(-0.5), "temperature");
        building(b -> b.topP(1.5), "top-p", "1.5");
        building(b -> b.topK(-1), "top-k");
        building(b -> b.minP(2.0), "min-p");
        building(b -> b.repeatPenalty(0.0), "repetition penalty");
        building(b -> b.threads(-1), "threads");
        building(b -> b.stopSequences(List.of("")), "stop sequences");
        fails(IllegalArgumentException.class, () -> BitNetChatModel.builder().modelPath("/nonexistent.gguf").maxTokens(-1).build(),
                "maxTokens"); // the value is checked first: no file access for a typo
    }

    @Test
    void sourcesThatDoNotFitTogetherAreRefused() {
        building(b -> b.model(BundledModel.shared()), "modelPath or a shared model", "not both");
        fails(IllegalArgumentException.class,
                () -> BitNetChatModel.builder().model(BundledModel.shared()).outputType(OutputType.Q4).build(), "shared Model");
        fails(IllegalArgumentException.class,
                () -> BitNetChatModel.builder().model(BundledModel.shared()).threads(2).build(), "threads");
        building(b -> b.parallel(0), "parallel sessions", "0");
        building(b -> b.timeout(java.time.Duration.ofSeconds(-1)), "timeout");
        try (BatchGenerator generator = BatchGenerator.start(BundledModel.shared(), BundledModel.tokenizer(),
                BatchGenerator.Config.defaults(), BatchGenerator.StepObserver.NONE)) {
            building(b -> b.batchGenerator(generator), "not both");
            fails(IllegalArgumentException.class,
                    () -> BitNetChatModel.builder().batchGenerator(generator).parallel(2).build(), "parallel");
        }
    }

    /** Parameters of some other provider, with a setting of its own that a BitNet model would drop. */
    static final class OtherProviderParameters extends DefaultChatRequestParameters {
        OtherProviderParameters() {
            super(DefaultChatRequestParameters.builder().temperature(0.0));
        }
    }

    @Test
    void anotherProvidersParameterTypeIsRefused() {
        building(b -> b.defaultRequestParameters(new OtherProviderParameters()), "OtherProviderParameters", "another provider");
        try (BitNetChatModel model = BitNetChatModel.builder().model(BundledModel.shared()).build()) {
            fails(IllegalArgumentException.class, () -> model.chat(ChatRequest.builder()
                    .messages(UserMessage.from("hi")).parameters(new OtherProviderParameters()).build()), "another provider");
        }
    }

    @Test
    void badRequestValuesAreInvalidRequests() {
        try (BitNetChatModel model = BitNetChatModel.builder().model(BundledModel.shared()).build()) {
            badRequests(model);
        }
    }

    private static void badRequests(BitNetChatModel model) {
        fails(InvalidRequestException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .maxOutputTokens(-3).build()), "maxTokens", "-3");
        fails(InvalidRequestException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .topP(0.0).build()), "top-p");
        fails(ModelNotFoundException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .modelName("gpt-4o").build()), "bitnet-kjv-4m", "gpt-4o");
        String longText = "And the LORD spake unto Moses, saying, ".repeat(40);
        fails(InvalidRequestException.class, () -> model.chat(longText), "context holds 256");
    }

    @Test
    void unsupportedFeaturesAreNamedNeverIgnored() {
        try (BitNetChatModel model = BitNetChatModel.builder().model(BundledModel.shared()).maxTokens(4).build()) {
            unsupported(model);
        }
    }

    private static void unsupported(BitNetChatModel model) {
        ToolSpecification tool = ToolSpecification.builder().name("weather").description("the weather").build();
        fails(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .toolSpecifications(tool).build()), "tools");
        fails(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .toolChoice(ToolChoice.REQUIRED).build()), "toolChoice REQUIRED");
        JsonSchema schema = JsonSchema.builder().name("Verse").rootElement(JsonObjectSchema.builder().addStringProperty("text").build()).build();
        fails(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .responseFormat(ResponseFormat.builder().type(dev.langchain4j.model.chat.request.ResponseFormatType.JSON).jsonSchema(schema).build())
                .build()), "JSON-schema response format");
        fails(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .responseFormat(ResponseFormat.JSON).build()), "JSON response format");
        fails(UnsupportedFeatureException.class, () -> model.chat(UserMessage.from(TextContent.from("What is this?"),
                ImageContent.from("https://example.com/a.png"))), "image content", "text only");
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("1").name("weather").arguments("{}").build();
        fails(UnsupportedFeatureException.class, () -> model.chat(List.<ChatMessage>of(UserMessage.from("hi"),
                AiMessage.from(call))), "tool calls");
        fails(UnsupportedFeatureException.class, () -> model.chat(List.<ChatMessage>of(UserMessage.from("hi"),
                ToolExecutionResultMessage.from(call, "sunny"))), "tool results", "weather");
        fails(UnsupportedFeatureException.class, () -> model.tokenCountEstimator().estimateTokenCountInMessages(
                List.of(UserMessage.from(ImageContent.from("https://example.com/a.png")))), "image content");
        // Plain text, and a text response format, still work.
        assertEquals(4, model.chat(ChatRequest.builder().messages(UserMessage.from("hi")).responseFormat(ResponseFormat.TEXT)
                .toolChoice(ToolChoice.AUTO).build()).tokenUsage().outputTokenCount());
    }
}
