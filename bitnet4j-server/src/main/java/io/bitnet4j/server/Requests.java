package io.bitnet4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.bitnet4j.generation.ChatPrompt;
import io.bitnet4j.generation.GenerationRequest;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import io.bitnet4j.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the body of {@code POST /v1/chat/completions} and {@code POST /v1/completions} into a generation request,
 * with OpenAI's parameter names and ranges. Parameters this server cannot honour are refused by name (400) rather
 * than silently ignored; fields that change nothing here (user, store, metadata...) are accepted.
 */
final class Requests {

    /**
     * A checked request.
     *
     * @param generation   what to generate
     * @param promptParam  the field the prompt came from, for error messages ("messages" or "prompt")
     * @param stream       answer with server-sent events
     * @param includeUsage with {@code stream}: a last chunk with the usage
     */
    record Ask(GenerationRequest generation, String promptParam, boolean stream, boolean includeUsage) {}

    /** OpenAI's legacy completions endpoint stops after 16 tokens unless told otherwise. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
    /** More stop strings than this are refused (OpenAI allows 4). */
    static final int MAX_STOPS = 16;

    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final String modelId;
    private final int contextLength;
    private final Duration timeout;

    Requests(Tokenizer tokenizer, String modelId, int contextLength, Duration timeout) {
        this.tokenizer = tokenizer;
        this.template = ChatPrompt.templateOf(tokenizer);
        this.modelId = modelId;
        this.contextLength = contextLength;
        this.timeout = timeout;
    }

    ChatTemplate template() {
        return template;
    }

    Ask chat(Fields body) {
        checkModel(body);
        refuseUnsupported(body);
        if (body.bool("logprobs").orElse(false)) throw ApiException.unsupported("logprobs", "logprobs are not supported by this server.");
        int[] prompt = ChatPrompt.encode(tokenizer, template, messages(body));
        int maxTokens = body.integer("max_completion_tokens", 1, Integer.MAX_VALUE)
                .orElse(body.integer("max_tokens", 1, Integer.MAX_VALUE).orElse(Integer.MAX_VALUE)); // default: until the context is full
        return ask(body, prompt, "messages", maxTokens);
    }

    Ask completion(Fields body) {
        checkModel(body);
        refuseUnsupported(body);
        if (body.integer("logprobs", 0, 5).orElse(0) > 0) throw ApiException.unsupported("logprobs", "logprobs are not supported by this server.");
        if (body.bool("echo").orElse(false)) throw ApiException.unsupported("echo", "echo is not supported by this server.");
        if (!body.string("suffix").orElse("").isEmpty()) throw ApiException.unsupported("suffix", "suffix (insertion) is not supported by this server.");
        if (body.integer("best_of", 1, 128).orElse(1) > 1) throw ApiException.unsupported("best_of", "best_of > 1 is not supported by this server.");
        int[] prompt = prompt(body);
        int maxTokens = body.integer("max_tokens", 1, Integer.MAX_VALUE).orElse(COMPLETIONS_DEFAULT_MAX_TOKENS);
        return ask(body, prompt, "prompt", maxTokens);
    }

    private Ask ask(Fields body, int[] prompt, String promptParam, int maxTokens) {
        if (prompt.length == 0) throw ApiException.invalid(promptParam, "The prompt is empty.");
        if (prompt.length > contextLength) throw ApiException.contextTooLong(promptParam, prompt.length, contextLength);
        boolean stream = body.bool("stream").orElse(false);
        boolean includeUsage = false;
        JsonNode options = body.raw("stream_options");
        if (options != null) includeUsage = Fields.object(options, "stream_options").bool("include_usage").orElse(false);
        boolean ignoreEos = body.bool("ignore_eos").orElse(false); // llama-server's extension, for fixed-length benchmarks
        var request = new GenerationRequest(prompt, maxTokens, stops(body), sampling(body), timeout, ignoreEos);
        return new Ask(request, promptParam, stream, includeUsage);
    }

    private void checkModel(Fields body) {
        // optional here (llama-server ignores it); when given, it must name the served model
        body.string("model").ifPresent(m -> {
            if (!m.equals(modelId) && !m.equals(modelId + ".gguf")) throw ApiException.modelNotFound(m, modelId);
        });
    }

    /** Features of OpenAI's API this server does not have: named, so a client does not get a silently different answer. */
    private static void refuseUnsupported(Fields body) {
        if (body.integer("n", 1, 128).orElse(1) > 1)
            throw ApiException.unsupported("n", "n > 1 is not supported: request one completion at a time.");
        for (String tools : List.of("tools", "functions")) {
            JsonNode v = body.raw(tools);
            if (v != null && !(v.isArray() && v.isEmpty()))
                throw ApiException.unsupported(tools, "'" + tools + "' is not supported: this server has no tool or function calling.");
        }
        for (String choice : List.of("tool_choice", "function_call")) {
            JsonNode v = body.raw(choice);
            if (v != null && !(v.isTextual() && v.textValue().equals("none")))
                throw ApiException.unsupported(choice, "'" + choice + "' is not supported: this server has no tool or function calling.");
        }
        JsonNode format = body.raw("response_format");
        if (format != null) {
            String type = Fields.object(format, "response_format").requiredString("type");
            if (!type.equals("text"))
                throw ApiException.unsupported("response_format", "response_format of type '" + type + "' is not supported: only 'text'.");
        }
        if (body.integer("top_logprobs", 0, 20).orElse(0) > 0)
            throw ApiException.unsupported("top_logprobs", "top_logprobs are not supported by this server.");
        JsonNode bias = body.raw("logit_bias");
        if (bias != null && !(bias.isObject() && bias.isEmpty()))
            throw ApiException.unsupported("logit_bias", "logit_bias is not supported by this server.");
        if (body.has("audio")) throw ApiException.unsupported("audio", "audio output is not supported: this model writes text only.");
        if (body.has("prediction")) throw ApiException.unsupported("prediction", "predicted outputs are not supported by this server.");
    }

    /**
     * OpenAI's sampling parameters over llama.cpp-like defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05)
     * for what the client leaves out; {@code top_k}, {@code min_p} and {@code repeat_penalty} are llama-server
     * extensions. Temperature 0 is greedy. Without {@code seed} the seed is random.
     */
    private static SamplingParams sampling(Fields body) {
        SamplingParams d = SamplingParams.defaults();
        float temperature = (float) body.number("temperature", 0, 2).orElse(d.temperature());
        float topP = (float) body.number("top_p", 0, 1).orElse(d.topP());
        if (topP == 0) { // only the most likely token is left: greedy
            temperature = 0;
            topP = 1;
        }
        int topK = body.integer("top_k", 0, 1 << 20).orElse(d.topK());
        float minP = (float) body.number("min_p", 0, 1).orElse(d.minP());
        float repeat = (float) body.number("repeat_penalty", 0.01, 10).orElse(d.repeatPenalty());
        float frequency = (float) body.number("frequency_penalty", -2, 2).orElse(d.frequencyPenalty());
        float presence = (float) body.number("presence_penalty", -2, 2).orElse(d.presencePenalty());
        long seed = body.longInteger("seed").orElse(d.seed());
        return new SamplingParams(temperature, topK, topP, minP, repeat, d.repeatLastN(), frequency, presence, seed);
    }

    private static List<String> stops(Fields body) {
        JsonNode v = body.raw("stop");
        if (v == null) return List.of();
        if (v.isTextual()) return v.textValue().isEmpty() ? List.of() : List.of(v.textValue());
        if (!v.isArray()) throw body.wrongType("stop", "a string or an array of strings", v);
        if (v.size() > MAX_STOPS) throw ApiException.invalid("stop", "'stop' may hold at most " + MAX_STOPS + " strings, got " + v.size() + ".");
        List<String> stops = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) throw ApiException.invalid("stop", "'stop[" + i + "]' must be a string, got " + Fields.kind(v.get(i)) + ".");
            if (!v.get(i).textValue().isEmpty()) stops.add(v.get(i).textValue());
        }
        return stops;
    }

    private static List<Message> messages(Fields body) {
        JsonNode v = body.raw("messages");
        if (v == null) throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
        if (!v.isArray() || v.isEmpty()) throw body.wrongType("messages", "a non-empty array of messages", v);
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            String path = "messages[" + i + "]";
            Fields m = Fields.object(v.get(i), path);
            String role = m.requiredString("role").toLowerCase(Locale.ROOT);
            role = switch (role) {
                case "system", "developer" -> "system";
                case "user", "assistant" -> role;
                case "tool", "function" -> throw ApiException.unsupported(path + ".role",
                        "'" + path + ".role' is '" + role + "': tool messages are not supported (this server has no tool calling).");
                default -> throw ApiException.invalid(path + ".role",
                        "'" + path + ".role' must be one of system, developer, user, assistant; got '" + role + "'.");
            };
            if (m.has("tool_calls")) throw ApiException.unsupported(path + ".tool_calls", "tool calls are not supported by this server.");
            messages.add(new Message(role, content(m, path, role)));
        }
        return messages;
    }

    /** A message's text: a string, or an array of text parts (joined). */
    private static String content(Fields m, String path, String role) {
        JsonNode c = m.raw("content");
        if (c == null) {
            if (role.equals("assistant")) return "";
            throw ApiException.invalid(path + ".content", "Missing required parameter: '" + path + ".content'.");
        }
        if (c.isTextual()) return c.textValue();
        if (!c.isArray()) throw m.wrongType("content", "a string or an array of content parts", c);
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            String partPath = path + ".content[" + j + "]";
            Fields part = Fields.object(c.get(j), partPath);
            String type = part.requiredString("type");
            if (!type.equals("text"))
                throw ApiException.unsupported(partPath + ".type", "'" + partPath + ".type' is '" + type
                        + "': only text content parts are supported (this model reads text only).");
            text.append(part.requiredString("text"));
        }
        return text.toString();
    }

    /** A completions prompt: a string, or token ids; a list of several prompts is refused (it would mean n > 1). */
    private int[] prompt(Fields body) {
        JsonNode p = body.raw("prompt");
        if (p == null) throw ApiException.invalid("prompt", "Missing required parameter: 'prompt'.");
        if (p.isTextual()) return tokenizer.encodeWithBos(p.textValue(), true);
        if (!p.isArray() || p.isEmpty())
            throw body.wrongType("prompt", "a string, an array of token ids, or an array holding one of those", p);
        if (p.get(0).isTextual() || p.get(0).isArray()) {
            if (p.size() > 1) throw ApiException.unsupported("prompt", "several prompts in one request are not supported: send one per request.");
            JsonNode only = p.get(0);
            if (only.isTextual()) return tokenizer.encodeWithBos(only.textValue(), true);
            return tokenIds(only, "prompt[0]");
        }
        return tokenIds(p, "prompt");
    }

    private int[] tokenIds(JsonNode array, String path) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.intValue() < 0 || t.intValue() >= tokenizer.vocabSize())
                throw ApiException.invalid(path, "'" + path + "[" + i + "]' must be a token id between 0 and " + (tokenizer.vocabSize() - 1) + ", got " + t + ".");
            ids[i] = t.intValue();
        }
        return ids;
    }
}
