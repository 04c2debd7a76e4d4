package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.generation.Completion;
import io.bitnet4j.generation.Generation;
import io.bitnet4j.generation.GenerationListener;
import io.bitnet4j.generation.GenerationRequest;
import io.bitnet4j.generation.GenerationTimeoutException;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.generation.QueueFullException;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.model.ContextOverflowException;
import io.bitnet4j.model.Model;
import io.bitnet4j.tokenizer.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CancellationException;

/**
 * What both chat models run on: a {@link Model}, its tokenizer and chat template, and the {@link BatchGenerator}
 * that decodes concurrent replies together (continuous batching: one pass over the weights per step for every
 * running reply, each reply the same as alone). The generator is either shared by the caller between chat models
 * or the engine's own, started on the first request. Thread-safe.
 */
final class ChatEngine implements AutoCloseable {

    /** How the engine gets its generator: the caller's, or its own with these settings. */
    record Batching(BatchGenerator shared, BatchGenerator.Config ownConfig) {}

    private final Model model;
    private final boolean ownsModel;
    private final ChatFormat format;
    private final String modelName;
    private final Batching batching;
    private final Duration timeout; // per reply, or null
    private BatchGenerator ownGenerator; // guarded by this; started on the first request
    private boolean closed;             // guarded by this

    private ChatEngine(Model model, boolean ownsModel, ChatFormat format, Batching batching, Duration timeout) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.format = format;
        this.modelName = modelName(model.gguf());
        this.batching = batching;
        this.timeout = timeout;
    }

    /** An engine over a Model the caller owns (and closes). */
    static ChatEngine shared(Model model, ChatTemplate template, Batching batching, Duration timeout) {
        ChatFormat format = batching.shared() != null ? ChatFormat.of(batching.shared().tokenizer(), template) : ChatFormat.of(model, template);
        return new ChatEngine(model, false, format, batching, timeout);
    }

    /** Loads the file; the engine closes the Model with {@link #close()}. */
    static ChatEngine load(Path path, Model.Options options, ChatTemplate template, Batching batching, Duration timeout) {
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
            return new ChatEngine(model, true, ChatFormat.of(model, template), batching, timeout);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The model's tokenizer and chat template. */
    ChatFormat format() {
        return format;
    }

    /** The file's general.name, else its file name without the extension: what responses name as their model. */
    String modelName() {
        return modelName;
    }

    /**
     * Queues the reply to a request whose parameters are already merged with the model's defaults; the listener
     * hears on the generator's scheduler thread (it must return at once).
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for what BitNet models cannot do
     * @throws InvalidRequestException for out-of-range values and a prompt larger than the context
     * @throws RateLimitException      when every session is busy and the generator's queue is full
     */
    Generation submit(ChatRequest request, GenerationListener listener) {
        ReplySettings settings;
        try {
            settings = ReplySettings.from(request.parameters(), modelName);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        }
        int[] ids = format.encode(request.messages());
        BatchGenerator generator = generator();
        if (ids.length > generator.contextLength())
            throw new InvalidRequestException("the prompt has " + ids.length + " tokens but the context holds "
                    + generator.contextLength() + ": shorten the conversation");
        // No token limit: until the end of the turn or a full context.
        int maxTokens = settings.maxTokens() != null ? settings.maxTokens() : Integer.MAX_VALUE;
        try {
            return generator.submit(new GenerationRequest(ids, maxTokens, settings.stopSequences(), settings.sampling(), timeout), listener);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** The finished reply as LangChain4j's response. */
    ChatResponse response(Completion c) {
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(c.text()))
                .modelName(modelName)
                .tokenUsage(new TokenUsage(c.promptTokens(), c.completionTokens()))
                .finishReason(finishReason(c.stopReason()))
                .build();
    }

    /** A generator's failure as the LangChain4j exception a caller of a chat model expects. */
    static RuntimeException translate(Throwable e) {
        return switch (e) {
            case LangChain4jException known -> known;
            case ContextOverflowException overflow -> new InvalidRequestException(overflow.getMessage(), overflow);
            case QueueFullException full -> new RateLimitException(full.getMessage(), full);
            case GenerationTimeoutException late -> new TimeoutException(late.getMessage(), late);
            case CancellationException shutDown -> new LangChain4jException("the reply was cut short: " + shutDown.getMessage(), shutDown);
            case IllegalArgumentException bad -> new InvalidRequestException(bad.getMessage(), bad);
            case RuntimeException other -> other;
            default -> new LangChain4jException(e.getMessage(), e);
        };
    }

    private static FinishReason finishReason(Generator.StopReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    /** The shared generator, or this engine's own, started now if this is the first request. */
    private synchronized BatchGenerator generator() {
        if (closed) throw new IllegalStateException("the chat model is closed");
        if (batching.shared() != null) return batching.shared();
        if (ownGenerator == null) ownGenerator = BatchGenerator.start(model, format.tokenizer(), batching.ownConfig(), BatchGenerator.StepObserver.NONE);
        return ownGenerator;
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

    /**
     * Stops this engine's own generator (replies still running end with an error) and closes the Model if this
     * engine loaded it. A shared generator and a shared Model stay open for their owner.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (ownGenerator != null) ownGenerator.close();
        if (ownsModel) model.close();
    }
}
