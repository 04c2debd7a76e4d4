package io.bitnet4j.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import io.bitnet4j.model.Model;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A BitNet b1.58 model as a LangChain4j {@link StreamingChatModel}, in this process. {@code chat} returns at
 * once; the reply is generated on a thread of its own (or the builder's {@code executor}) and handed to the
 * handler piece by piece as complete UTF-8 text, then as a whole in {@code onCompleteResponse}, or
 * {@code onError} with the reason. The pieces add up to exactly the text of the complete response.
 *
 * <p>Cancelling: {@code context.streamingHandle().cancel()} in
 * {@link StreamingChatResponseHandler#onPartialResponse(PartialResponse, PartialResponseContext)} (or later,
 * from any thread, on the handle it gave) stops generation before the next piece; after that the handler hears
 * nothing more, neither pieces nor a complete response, as LangChain4j's streaming cancellation specifies.
 * An exception thrown by {@code onPartialResponse} goes to {@code onError} and streaming goes on, as in
 * LangChain4j's own providers.
 *
 * <p>Thread-safe, and any number of streaming and blocking chat models can share one {@link Model}.
 */
public final class BitNetStreamingChatModel implements StreamingChatModel, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BitNetStreamingChatModel.class.getName());
    /** One platform thread per reply: generation is CPU work, and each reply is a long-running task. */
    private static final ThreadFactory REPLY_THREADS = Thread.ofPlatform().daemon().name("bitnet4j-stream-", 1).factory();

    private final ChatEngine engine;
    private final BitNetChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final Executor executor;

    private BitNetStreamingChatModel(Builder builder) {
        this.executor = builder.executor != null ? builder.executor : task -> REPLY_THREADS.newThread(task).start();
        this.defaults = builder.defaults();
        this.engine = builder.engine(defaults);
        this.listeners = builder.listeners();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Objects.requireNonNull(handler, "handler");
        try {
            executor.execute(() -> stream(request, handler));
        } catch (RuntimeException e) { // e.g. a RejectedExecutionException from a shut-down executor
            reportError(handler, e);
        }
    }

    private void stream(ChatRequest request, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        ChatEngine.Reply reply;
        try {
            reply = engine.reply(request, piece -> {
                if (!handle.isCancelled()) deliver(handler, piece, handle);
                return !handle.isCancelled();
            });
        } catch (RuntimeException | Error e) {
            reportError(handler, e);
            return;
        }
        if (reply.cancelled() || handle.isCancelled()) {
            LOG.log(System.Logger.Level.DEBUG, () -> "reply cancelled by its handler after "
                    + reply.response().tokenUsage().outputTokenCount() + " generated tokens");
            return;
        }
        try {
            handler.onCompleteResponse(reply.response());
        } catch (RuntimeException e) {
            reportError(handler, e);
        }
    }

    /** One piece of text to the handler; an exception it throws is reported to its onError, and streaming goes on. */
    private static void deliver(StreamingChatResponseHandler handler, String piece, Handle handle) {
        if (piece.isEmpty()) return;
        try {
            handler.onPartialResponse(new PartialResponse(piece), new PartialResponseContext(handle));
        } catch (RuntimeException e) {
            reportError(handler, e);
        }
    }

    private static void reportError(StreamingChatResponseHandler handler, Throwable error) {
        try {
            handler.onError(error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "StreamingChatResponseHandler.onError threw; ignored", e);
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
        return new BitNetTokenCountEstimator(engine);
    }

    /** The model's name in responses: the file's general.name, else its file name. */
    public String modelName() {
        return engine.modelName();
    }

    /** Frees the model if this chat model loaded it (modelPath); a shared model stays open for its owner. */
    @Override
    public void close() {
        engine.close();
    }

    /** Cancels one reply: generation stops before its next piece. */
    private static final class Handle implements StreamingHandle {
        private final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void cancel() {
            cancelled.set(true);
        }

        @Override
        public boolean isCancelled() {
            return cancelled.get();
        }
    }

    public static final class Builder extends BitNetModelBuilder<Builder> {
        private Executor executor;

        private Builder() {}

        /** Where replies are generated; default: a new daemon thread per reply. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** Checks every setting, then loads the file (or takes the shared model). */
        public BitNetStreamingChatModel build() {
            return new BitNetStreamingChatModel(this);
        }
    }
}
