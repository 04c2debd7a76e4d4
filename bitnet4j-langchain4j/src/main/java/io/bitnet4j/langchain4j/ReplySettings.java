package io.bitnet4j.langchain4j;

import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one reply is generated with, resolved from LangChain4j's merged request parameters: the sampling
 * settings (core's defaults where a value is unset, a fresh seed unless one is given), the token limit (null:
 * until the end of the turn or a full context) and the stop sequences.
 */
record ReplySettings(SamplingParams sampling, Integer maxTokens, List<String> stopSequences) {

    /** The sampling values used where a request sets none: the core's (llama.cpp's) defaults. */
    private static final SamplingParams DEFAULTS = SamplingParams.defaults();

    /**
     * @throws UnsupportedFeatureException for tools, a JSON response format or another provider's parameters
     * @throws ModelNotFoundException      when the parameters name another model
     * @throws IllegalArgumentException    naming a value out of range
     */
    static ReplySettings from(ChatRequestParameters p, String modelName) {
        checkParameterType(p);
        refuseUnsupported(p);
        if (p.modelName() != null && !p.modelName().equals(modelName))
            throw new ModelNotFoundException("this chat model runs '" + modelName + "', not '" + p.modelName()
                    + "' (leave modelName unset, or load that model)");
        Integer maxTokens = p.maxOutputTokens();
        if (maxTokens != null && maxTokens < 1)
            throw new IllegalArgumentException("maxTokens (maxOutputTokens) must be at least 1, got " + maxTokens);
        List<String> stops = p.stopSequences() == null ? List.of() : p.stopSequences();
        if (stops.stream().anyMatch(s -> s == null || s.isEmpty()))
            throw new IllegalArgumentException("stop sequences must be non-empty strings, got " + stops);
        var extra = p instanceof BitNetChatRequestParameters b ? b : BitNetChatRequestParameters.builder().build();
        float temperature = value(p.temperature(), DEFAULTS.temperature());
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + p.temperature());
        SamplingParams sampling = new SamplingParams(temperature,
                p.topK() != null ? p.topK() : DEFAULTS.topK(),
                value(p.topP(), DEFAULTS.topP()),
                value(extra.minP(), DEFAULTS.minP()),
                value(extra.repeatPenalty(), DEFAULTS.repeatPenalty()),
                DEFAULTS.repeatLastN(),
                value(p.frequencyPenalty(), DEFAULTS.frequencyPenalty()),
                value(p.presencePenalty(), DEFAULTS.presencePenalty()),
                extra.seed() != null ? extra.seed() : ThreadLocalRandom.current().nextLong());
        try {
            SamplerChain.from(sampling); // the core's range checks, once, with their messages
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad sampling parameter: " + e.getMessage(), e);
        }
        return new ReplySettings(sampling, maxTokens, List.copyOf(stops));
    }

    /**
     * Refuses parameters of another provider's type: merged into these models' parameters, their own settings
     * (an OpenAI seed or logit bias, say) would be dropped without a word.
     */
    static void checkParameterType(ChatRequestParameters p) {
        if (p.getClass() != DefaultChatRequestParameters.class && !(p instanceof BitNetChatRequestParameters))
            throw new IllegalArgumentException(p.getClass().getSimpleName() + " holds another provider's parameters,"
                    + " which a BitNet model cannot honour: use ChatRequestParameters.builder() or BitNetChatRequestParameters");
    }

    private static void refuseUnsupported(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty())
            throw new UnsupportedFeatureException("tools are not supported: BitNet models in bitnet4j do no tool calling"
                    + " (the request has " + p.toolSpecifications().size() + " tool specification(s))");
        if (p.toolChoice() == ToolChoice.REQUIRED)
            throw new UnsupportedFeatureException("toolChoice REQUIRED is not supported: BitNet models in bitnet4j do no tool calling");
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON)
            throw new UnsupportedFeatureException((p.responseFormat().jsonSchema() != null
                    ? "the JSON-schema response format (structured output)" : "the JSON response format")
                    + " is not supported: bitnet4j does not constrain generation to JSON");
    }

    private static float value(Double requested, float fallback) {
        return requested != null ? requested.floatValue() : fallback;
    }
}
