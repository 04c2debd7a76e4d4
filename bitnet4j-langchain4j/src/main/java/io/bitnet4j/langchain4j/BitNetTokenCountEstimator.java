package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
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
 *       messages through the template, the assistant prefix; a final AI message is continued instead): the input
 *       token count its response reports.</li>
 *   <li>{@link #estimateTokenCountInText}: exact, the text's tokens without BOS.</li>
 *   <li>{@link #estimateTokenCountInMessage}: what the message adds to a conversation, its role's prefix and
 *       suffix included (its tokens can merge
 *       with a neighbour's across a boundary without an end-of-turn marker, so the sum over messages may be off
 *       by a token or two).</li>
 * </ul>
 * Content a BitNet model cannot read (images, tool calls) fails as it does in a chat call.
 */
public final class BitNetTokenCountEstimator implements TokenCountEstimator {

    /** A last message that makes every other one a finished message of a conversation. */
    private static final ChatMessage LAST = UserMessage.from("");

    private final ChatFormat format;
    private final int lastOnly; // the prompt of LAST alone

    /** Counts for a loaded model, with the chat template its file names (else {@link ChatTemplate#BITNET}). */
    public BitNetTokenCountEstimator(Model model) {
        this(ChatFormat.of(model, null));
    }

    /** Counts for a loaded model and a given chat template. */
    public BitNetTokenCountEstimator(Model model, ChatTemplate template) {
        this(ChatFormat.of(model, template));
    }

    BitNetTokenCountEstimator(ChatFormat format) {
        this.format = format;
        this.lastOnly = format.encode(List.of(LAST)).length;
    }

    @Override
    public int estimateTokenCountInText(String text) {
        return format.tokenizer().encode(text, false).length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return format.encode(List.of(message, LAST)).length - lastOnly;
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        return format.encode(messages).length;
    }
}
