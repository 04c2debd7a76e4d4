package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import io.bitnet4j.generation.ChatPrompt;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.model.Model;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;

/** A conversation as the ids a model reads: its tokenizer and its chat template. Thread-safe. */
record ChatFormat(Tokenizer tokenizer, ChatTemplate template) {

    /**
     * The tokenizer stored in the model's file, and the given template or else the one the file names (else
     * {@link ChatTemplate#BITNET}).
     */
    static ChatFormat of(Model model, ChatTemplate template) {
        try {
            return of(GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null), template);
        } catch (GgufException e) {
            throw new IllegalArgumentException("the model's tokenizer cannot be used: " + e.getMessage(), e);
        }
    }

    static ChatFormat of(Tokenizer tokenizer, ChatTemplate template) {
        return new ChatFormat(tokenizer, template != null ? template : ChatPrompt.templateOf(tokenizer));
    }

    /**
     * BOS, the messages through the template, then the assistant prefix for a new reply; a conversation that ends
     * with an AI message is continued instead (the core's {@link ChatPrompt}, as the server reads a history).
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for content BitNet models cannot read
     */
    int[] encode(Iterable<ChatMessage> messages) {
        return ChatPrompt.encode(tokenizer, template, ChatMessages.toTemplate(messages));
    }
}
