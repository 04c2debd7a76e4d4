package io.bitnet4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import io.bitnet4j.tokenizer.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** LangChain4j messages as the chat template's system / user / assistant messages; text only. */
final class ChatMessages {
    private ChatMessages() {}

    /**
     * @throws UnsupportedFeatureException for images and other non-text content, tool calls and tool results,
     *                                     naming what the message holds
     */
    static List<ChatTemplate.Message> toTemplate(Iterable<ChatMessage> messages) {
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (ChatMessage m : messages) out.add(toTemplate(m));
        return out;
    }

    static ChatTemplate.Message toTemplate(ChatMessage message) {
        return switch (message) {
            case SystemMessage s -> ChatTemplate.Message.system(s.text());
            case UserMessage u -> ChatTemplate.Message.user(text(u));
            case AiMessage a -> {
                if (a.hasToolExecutionRequests())
                    throw new UnsupportedFeatureException("tool calls are not supported: the AI message requests "
                            + a.toolExecutionRequests().size() + " tool execution(s), and BitNet models in bitnet4j do no tool calling");
                yield ChatTemplate.Message.assistant(a.text() == null ? "" : a.text()); // its thinking is not replayed
            }
            case ToolExecutionResultMessage t -> throw new UnsupportedFeatureException(
                    "tool results are not supported: the conversation holds a ToolExecutionResultMessage for '"
                            + t.toolName() + "', and BitNet models in bitnet4j do no tool calling");
            default -> throw new UnsupportedFeatureException("chat messages of type " + message.type()
                    + " are not supported: BitNet models read system, user and AI messages");
        };
    }

    /** A user message's text parts, one per line; any other content is refused by its type. */
    private static String text(UserMessage message) {
        for (Content c : message.contents())
            if (!(c instanceof TextContent))
                throw new UnsupportedFeatureException(c.type().name().toLowerCase(java.util.Locale.ROOT)
                        + " content is not supported: BitNet models read text only (the user message holds "
                        + c.type() + " content)");
        return message.contents().stream().map(c -> ((TextContent) c).text()).collect(Collectors.joining("\n"));
    }
}
