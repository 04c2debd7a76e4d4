package io.bitnet4j.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;

/**
 * The JSON the server writes, as OpenAI's API reference spells it (snake_case fields; null fields written as null,
 * as OpenAI does, unless marked otherwise).
 */
final class Wire {
    private Wire() {}

    static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    record ErrorBody(Error error) {}

    record Error(String message, String type, String param, String code) {}

    record Usage(int promptTokens, int completionTokens, int totalTokens, PromptTokensDetails promptTokensDetails) {
        static Usage of(int prompt, int completion, int cached) {
            return new Usage(prompt, completion, prompt + completion, new PromptTokensDetails(cached));
        }
    }

    record PromptTokensDetails(int cachedTokens) {}

    record ChatCompletion(String id, String object, long created, String model, String systemFingerprint,
            List<ChatChoice> choices, Usage usage) {}

    record ChatChoice(int index, ChatMessage message, Object logprobs, String finishReason) {}

    record ChatMessage(String role, String content, Object refusal) {}

    record ChatChunk(String id, String object, long created, String model, String systemFingerprint,
            List<ChunkChoice> choices, Usage usage) {}

    record ChunkChoice(int index, Delta delta, Object logprobs, String finishReason) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {}

    record TextCompletion(String id, String object, long created, String model, String systemFingerprint,
            List<TextChoice> choices, Usage usage) {}

    record TextChoice(String text, int index, Object logprobs, String finishReason) {}

    record ModelList(String object, List<ModelCard> data) {}

    record ModelCard(String id, String object, long created, String ownedBy) {}

    record Health(String status) {}

    record Tokens(List<Integer> tokens) {}

    record TokenPieces(List<Piece> tokens) {}

    record Piece(int id, String piece) {}

    record Content(String content) {}
}
