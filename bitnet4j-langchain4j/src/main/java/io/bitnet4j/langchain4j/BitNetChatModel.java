package io.bitnet4j.langchain4j;

import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.bitnet4j.generation.Generation;
import io.bitnet4j.generation.GenerationListener;
import io.bitnet4j.model.Model;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * A BitNet b1.58 model as a LangChain4j {@link ChatModel}, in this process: no server, no Python.
 *
 * <pre>{@code
 * try (BitNetChatModel model = BitNetChatModel.builder()
 *         .modelPath("ggml-model-i2_s.gguf")
 *         .temperature(0.0)
 *         .maxTokens(64)
 *         .build()) {
 *     String answer = model.chat("What is the capital of France?");
 * }
 * }</pre>
 *
 * <p>Thread-safe: concurrent calls decode together through a {@link io.bitnet4j.generation.BatchGenerator}
 * (continuous batching: one pass over the weights per step for all of them; each reply is the one it gets alone),
 * the chat model's own or one shared with other chat models on the same {@link Model}.
 *
 * <p>Messages go through the model's chat template; the response carries the token usage (prompt tokens
 * including BOS; generated tokens including a final end-of-turn token) and the finish reason (STOP at the end
 * of the turn or a stop sequence, LENGTH at maxTokens or a full context). Tools, JSON response formats
 * and non-text content fail with {@link dev.langchain4j.exception.UnsupportedFeatureException}. Interrupting a
 * calling thread cancels its reply (its session is freed at the next step) with a {@link LangChain4jException}.
 */
public final class BitNetChatModel implements ChatModel, AutoCloseable {

    private final ChatEngine engine;
    private final BitNetChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;

    private BitNetChatModel(Builder builder) {
        this.defaults = builder.defaults();
        this.engine = builder.engine(defaults);
        this.listeners = builder.listeners();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Generation generation = engine.submit(request, GenerationListener.NONE);
        try {
            return engine.response(generation.completion().get());
        } catch (InterruptedException e) {
            generation.cancel(); // its session is free for others at the next step
            Thread.currentThread().interrupt();
            throw new LangChain4jException("chat interrupted: the reply was cancelled", e);
        } catch (ExecutionException e) {
            throw ChatEngine.translate(e.getCause());
        }
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /** A token counter with this model's tokenizer and chat template. */
    public BitNetTokenCountEstimator tokenCountEstimator() {
        return new BitNetTokenCountEstimator(engine.format());
    }

    /** The model's name in responses: the file's general.name, else its file name. */
    public String modelName() {
        return engine.modelName();
    }

    /**
     * Stops the chat model's own batch generator (replies still running fail) and frees the model if this chat
     * model loaded it (modelPath); a shared generator or model stays open for its owner.
     */
    @Override
    public void close() {
        engine.close();
    }

    public static final class Builder extends BitNetModelBuilder<Builder> {
        private Builder() {}

        /** Checks every setting, then loads the file (or takes the shared model). */
        public BitNetChatModel build() {
            return new BitNetChatModel(this);
        }
    }
}
