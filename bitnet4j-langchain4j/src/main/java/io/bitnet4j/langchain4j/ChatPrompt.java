package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.model.Model;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.Objects;

/** A conversation as the ids a model reads: its tokenizer and its chat template. Thread-safe. */
record ChatPrompt(Tokenizer tokenizer, ChatTemplate template) {

    /**
     * The tokenizer stored in the model's file, and the given template or else the one the file names (else
     * {@link ChatTemplate#BITNET}).
     */
    static ChatPrompt of(Model model, ChatTemplate template) {
        try {
            return of(GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null), template);
        } catch (GgufException e) {
            throw new IllegalArgumentException("the model's tokenizer cannot be used: " + e.getMessage(), e);
        }
    }

    static ChatPrompt of(Tokenizer tokenizer, ChatTemplate template) {
        return new ChatPrompt(tokenizer, template != null ? template
                : Objects.requireNonNullElse(ChatTemplate.detect(tokenizer.chatTemplate()), ChatTemplate.BITNET));
    }

    /**
     * BOS, the messages through the template, the assistant prefix.
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for content BitNet models cannot read
     */
    int[] encode(Iterable<ChatMessage> messages) {
        return template.encodePrompt(tokenizer, ChatMessages.toTemplate(messages));
    }
}
