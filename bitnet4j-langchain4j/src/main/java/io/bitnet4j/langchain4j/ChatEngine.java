package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What both chat models run on: one {@link Model} (loaded here or shared by the caller), its tokenizer and chat
 * template. Thread-safe: every reply has its own {@link Session} (a KV cache sized to the prompt and the token
 * limit) and its own sampler, and the Model serializes the matrix work of concurrent replies.
 */
final class ChatEngine implements AutoCloseable {

    /** One generated reply, or a cancelled one (the listener asked to stop). */
    record Reply(ChatResponse response, boolean cancelled) {}

    private final Model model;
    private final boolean ownsModel;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final String modelName;

    private ChatEngine(Model model, boolean ownsModel, ChatTemplate template) throws GgufException {
        this.model = model;
        this.ownsModel = ownsModel;
        this.tokenizer = GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null);
        this.template = template != null ? template
                : Objects.requireNonNullElse(ChatTemplate.detect(tokenizer.chatTemplate()), ChatTemplate.BITNET);
        this.modelName = modelName(model.gguf());
    }

    /** An engine over a Model the caller owns (and closes). */
    static ChatEngine shared(Model model, ChatTemplate template) {
        try {
            return new ChatEngine(model, false, template);
        } catch (GgufException e) {
            throw new IllegalArgumentException("the model's tokenizer cannot be used: " + e.getMessage(), e);
        }
    }

    /** Loads the file; the engine closes the Model with {@link #close()}. */
    static ChatEngine load(Path path, Model.Options options, ChatTemplate template) {
        if (!Files.exists(path)) throw new IllegalArgumentException("model file not found: " + path.toAbsolutePath() + " (modelPath)");
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("modelPath is not a file: " + path.toAbsolutePath());
        Model model;
        try {
            model = Model.load(path, options);
        } catch (GgufException e) {
            throw new IllegalArgumentException("cannot load " + path + " as a BitNet GGUF model: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
        try {
            return new ChatEngine(model, true, template);
        } catch (GgufException | RuntimeException e) {
            model.close();
            throw new IllegalArgumentException("cannot use the tokenizer of " + path + ": " + e.getMessage(), e);
        }
    }

    Model model() {
        return model;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    ChatTemplate template() {
        return template;
    }

    /** The file's general.name, else its file name without the extension: what responses name as their model. */
    String modelName() {
        return modelName;
    }

    /** The ids the model reads for these messages: BOS, the messages through the template, the assistant prefix. */
    int[] prompt(Iterable<ChatMessage> messages) {
        return template.encodePrompt(tokenizer, ChatMessages.toTemplate(messages));
    }

    /**
     * Generates the reply to a request whose parameters are already merged with the model's defaults. The
     * listener receives the text as it is generated and returns false to cancel.
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for what BitNet models cannot do
     * @throws InvalidRequestException for out-of-range values and a prompt larger than the context
     */
    Reply reply(ChatRequest request, Generator.Listener listener) {
        ReplySettings settings;
        try {
            settings = ReplySettings.from(request.parameters(), modelName);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        }
        int[] prompt = prompt(request.messages());
        int context = model.defaultContextLength();
        if (prompt.length > context)
            throw new InvalidRequestException("the prompt has " + prompt.length + " tokens but the model's context holds "
                    + context + ": shorten the conversation");
        int maxTokens = settings.maxTokens() != null ? settings.maxTokens() : Integer.MAX_VALUE;
        // The KV cache holds the prompt and the reply, no more: a short reply does not allocate a full context.
        int sessionLength = (int) Math.min(context, (long) prompt.length + maxTokens);
        try (Session session = model.newSession(sessionLength)) {
            Generator.Result result = new Generator(session, tokenizer, settings.sampler(tokenizer.vocabSize()))
                    .generate(prompt, maxTokens, settings.stopSequences(), listener);
            ChatResponse response = ChatResponse.builder()
                    .aiMessage(AiMessage.from(result.text()))
                    .modelName(modelName)
                    .tokenUsage(new TokenUsage(prompt.length, result.tokens().length))
                    .finishReason(finishReason(result.stopReason()))
                    .build();
            return new Reply(response, result.stopReason() == Generator.StopReason.CANCELLED);
        }
    }

    private static FinishReason finishReason(Generator.StopReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    private static String modelName(GgufFile gguf) {
        try {
            if (gguf.has("general.name") && !gguf.getString("general.name").isBlank()) return gguf.getString("general.name");
        } catch (GgufException e) {
            // a general.name that is not a string: fall back to the file name
        }
        String file = gguf.path().getFileName().toString();
        return file.endsWith(".gguf") ? file.substring(0, file.length() - ".gguf".length()) : file;
    }

    /** Closes the Model if this engine loaded it; a shared Model stays open for its owner. */
    @Override
    public void close() {
        if (ownsModel) model.close();
    }
}
