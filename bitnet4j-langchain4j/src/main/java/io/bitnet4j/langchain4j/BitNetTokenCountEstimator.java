package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import io.bitnet4j.model.Model;
import io.bitnet4j.tokenizer.ChatTemplate;
import java.util.List;

/**
 * Token counts from the model's own tokenizer and chat template, e.g. for LangChain4j's
 * {@code TokenWindowChatMemory}. Thread-safe.
 *
 * <ul>
 *   <li>{@link #estimateTokenCountInMessages}: exact, the prompt a chat call with these messages reads (BOS, the
 *       messages through the template, the assistant prefix): the input token count its response reports.</li>
 *   <li>{@link #estimateTokenCountInText}: exact, the text's tokens without BOS.</li>
 *   <li>{@link #estimateTokenCountInMessage}: what the message adds to a prompt on its own (its tokens can merge
 *       with a neighbour's across a boundary without an end-of-turn marker, so the sum over messages may be off
 *       by a token or two).</li>
 * </ul>
 * Content a BitNet model cannot read (images, tool calls) fails as it does in a chat call.
 */
public final class BitNetTokenCountEstimator implements TokenCountEstimator {

    private final ChatPrompt prompt;
    private final int emptyPrompt; // BOS and the assistant prefix

    /** Counts for a loaded model, with the chat template its file names (else {@link ChatTemplate#BITNET}). */
    public BitNetTokenCountEstimator(Model model) {
        this(ChatPrompt.of(model, null));
    }

    /** Counts for a loaded model and a given chat template. */
    public BitNetTokenCountEstimator(Model model, ChatTemplate template) {
        this(ChatPrompt.of(model, template));
    }

    BitNetTokenCountEstimator(ChatPrompt prompt) {
        this.prompt = prompt;
        this.emptyPrompt = prompt.encode(List.of()).length;
    }

    @Override
    public int estimateTokenCountInText(String text) {
        return prompt.tokenizer().encode(text, false).length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return prompt.encode(List.of(message)).length - emptyPrompt;
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        return prompt.encode(messages).length;
    }
}
