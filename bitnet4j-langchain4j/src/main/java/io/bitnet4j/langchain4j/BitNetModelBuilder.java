package io.bitnet4j.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.OutputType;
import io.bitnet4j.tokenizer.ChatTemplate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The settings both BitNet chat models are built with: where the model comes from (a file to load, a
 * {@link Model} shared with other chat models, or a shared {@link BatchGenerator} over one), how a loaded file runs
 * ({@code threads}, {@code outputType}, {@code modelOptions}), how replies are batched ({@code parallel},
 * {@code timeout}), and the default request parameters. Sampling values left unset take bitnet4j's
 * llama.cpp-like defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05); {@code maxTokens} unset
 * means until the end of the turn or a full context.
 *
 * <p>Single setters override the same value in {@link #defaultRequestParameters}; a request's own parameters
 * override both. {@code build()} checks every value before it loads the file and names what is wrong in an
 * {@link IllegalArgumentException}.
 */
public abstract class BitNetModelBuilder<B extends BitNetModelBuilder<B>> {
    private Path modelPath;
    private Model model;
    private Integer threads;
    private OutputType outputType;
    private Model.Options modelOptions;
    private BatchGenerator batchGenerator;
    private Integer parallel;
    private Duration timeout;
    private ChatTemplate chatTemplate;
    private ChatRequestParameters defaultRequestParameters;
    private final BitNetChatRequestParameters.Builder parameters = BitNetChatRequestParameters.builder();
    private List<ChatModelListener> listeners = List.of();

    BitNetModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The GGUF file to load; the chat model owns the loaded Model and frees it on {@code close()}. */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    public B modelPath(String modelPath) {
        return modelPath(modelPath == null ? null : Path.of(modelPath));
    }

    /**
     * A loaded model to share: any number of chat models, streaming or not, and threads can use one Model
     * (one copy of the weights). Its owner closes it, after the chat models are done.
     */
    public B model(Model model) {
        this.model = model;
        return self();
    }

    /** Worker threads of a loaded file (default: one per processor). */
    public B threads(Integer threads) {
        this.threads = threads;
        return self();
    }

    /** The output projection of a loaded file: F16 as stored (default), or an I8 / Q4 copy made at load. */
    public B outputType(OutputType outputType) {
        this.outputType = outputType;
        return self();
    }

    /** Every other option of a loaded file (backend, context length, ...); threads and outputType override it. */
    public B modelOptions(Model.Options modelOptions) {
        this.modelOptions = modelOptions;
        return self();
    }

    /**
     * A running {@link BatchGenerator} to share: the replies of every chat model given it decode together, in one
     * pass over the weights per step. Its owner closes it (then the Model). Without one, a chat model starts its
     * own generator on its first request (its own concurrent replies decode together) and stops it on
     * {@code close()}.
     */
    public B batchGenerator(BatchGenerator batchGenerator) {
        this.batchGenerator = batchGenerator;
        return self();
    }

    /**
     * Replies the chat model's own generator decodes at once (default 4); more wait in its queue. Each holds a KV
     * cache of the whole context, allocated on the first request.
     */
    public B parallel(Integer parallel) {
        this.parallel = parallel;
        return self();
    }

    /** How long one reply may take, waiting for a session included; then it fails with a TimeoutException. */
    public B timeout(Duration timeout) {
        this.timeout = timeout;
        return self();
    }

    /** The chat format; default: the one the file names, else {@link ChatTemplate#BITNET}. */
    public B chatTemplate(ChatTemplate chatTemplate) {
        this.chatTemplate = chatTemplate;
        return self();
    }

    /** Softmax temperature, 0 = greedy (always the most likely token). */
    public B temperature(Double temperature) {
        parameters.temperature(temperature);
        return self();
    }

    public B topP(Double topP) {
        parameters.topP(topP);
        return self();
    }

    public B topK(Integer topK) {
        parameters.topK(topK);
        return self();
    }

    public B minP(Double minP) {
        parameters.minP(minP);
        return self();
    }

    public B repeatPenalty(Double repeatPenalty) {
        parameters.repeatPenalty(repeatPenalty);
        return self();
    }

    public B frequencyPenalty(Double frequencyPenalty) {
        parameters.frequencyPenalty(frequencyPenalty);
        return self();
    }

    public B presencePenalty(Double presencePenalty) {
        parameters.presencePenalty(presencePenalty);
        return self();
    }

    /** Random seed: the same seed and request give the same reply. Default: a fresh seed per request. */
    public B seed(Long seed) {
        parameters.seed(seed);
        return self();
    }

    /** Tokens per reply at most (the reply's finish reason is then LENGTH). */
    public B maxTokens(Integer maxTokens) {
        parameters.maxOutputTokens(maxTokens);
        return self();
    }

    /** Texts that end a reply (not included in it; finish reason STOP). */
    public B stopSequences(List<String> stopSequences) {
        parameters.stopSequences(stopSequences);
        return self();
    }

    public B defaultRequestParameters(ChatRequestParameters defaultRequestParameters) {
        this.defaultRequestParameters = defaultRequestParameters;
        return self();
    }

    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    /**
     * The checked defaults and the engine: values first (cheap), then the model, then the model name the
     * defaults may carry. The caller wraps both in its chat model.
     */
    ChatEngine engine(BitNetChatRequestParameters defaults) {
        ReplySettings.from(defaults, defaults.modelName()); // every value, before a possibly long load
        ChatEngine engine = openEngine();
        try {
            ReplySettings.from(defaults, engine.modelName());
            return engine;
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** {@code defaultRequestParameters} with the single setters over them. */
    BitNetChatRequestParameters defaults() {
        var merged = BitNetChatRequestParameters.builder();
        if (defaultRequestParameters != null) merged.overrideWith(defaultRequestParameters);
        return merged.overrideWith(parameters.build()).build();
    }

    List<ChatModelListener> listeners() {
        return listeners;
    }

    private ChatEngine openEngine() {
        if (timeout != null && (timeout.isNegative() || timeout.isZero()))
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        ChatEngine.Batching batching = batching();
        Model shared = batchGenerator != null ? batchGenerator.model() : model;
        if (modelPath != null && shared != null)
            throw new IllegalArgumentException("set modelPath or a shared model (model or batchGenerator), not both");
        if (shared != null) {
            if (model != null && model != shared)
                throw new IllegalArgumentException("the batchGenerator runs another Model than the one given as model");
            if (threads != null || outputType != null || modelOptions != null)
                throw new IllegalArgumentException("threads, outputType and modelOptions apply when the chat model loads"
                        + " modelPath; a shared Model runs with the options it was loaded with");
            return ChatEngine.shared(shared, chatTemplate, batching, timeout);
        }
        if (modelPath == null) throw new IllegalArgumentException("modelPath is required (or a loaded model to share)");
        Model.Options.Builder options = modelOptions != null ? modelOptions.toBuilder() : Model.Options.builder();
        if (threads != null) options.threads(threads);
        if (outputType != null) options.outputType(outputType);
        return ChatEngine.load(modelPath, options.build(), chatTemplate, batching, timeout);
    }

    /** The shared generator, or the settings of the chat model's own (checked now, started on the first request). */
    private ChatEngine.Batching batching() {
        if (batchGenerator != null) {
            if (parallel != null)
                throw new IllegalArgumentException("parallel sets the chat model's own generator; a shared batchGenerator keeps its own settings");
            return new ChatEngine.Batching(batchGenerator, null);
        }
        BatchGenerator.Config config = BatchGenerator.Config.defaults();
        return new ChatEngine.Batching(null, parallel != null ? config.withParallel(parallel) : config);
    }
}
