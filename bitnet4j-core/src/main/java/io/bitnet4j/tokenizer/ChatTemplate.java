package io.bitnet4j.tokenizer;

import java.util.List;
import java.util.Locale;

/**
 * Chat prompt formats (spec §5). The text produced here contains "&lt;|eot_id|&gt;" literally, so encode it with
 * {@code parseSpecial = true}; the caller adds BOS once, at the start of the conversation.
 *
 * <p>{@link #BITNET} is bitnet.cpp's built-in "bitnet" format, selected when the GGUF
 * {@code tokenizer.chat_template} contains "BITNET":
 * <pre>System: {system}User: {user}&lt;|eot_id|&gt;Assistant: {reply}&lt;|eot_id|&gt;User: …</pre>
 * llama.cpp renders an assistant message as its content only. Here a <em>finished</em> assistant message is
 * followed by "&lt;|eot_id|&gt;": in an incremental chat the model's own reply tokens, including the
 * end-of-turn token it stopped on, stay in the KV cache, so re-rendering a history from scratch with the
 * suffix gives the same tokens the model actually saw (assuming it stopped on eot, the usual case).
 *
 * <p>{@link #LLAMA3_STYLE} is the HF model card's variant, which also ends the system message with the eot
 * token: {@code System: …<|eot_id|>User: …<|eot_id|>Assistant: …<|eot_id|>}.
 *
 * <p>Chat loop usage: encode {@code render(history, true)} for the first prompt, then for each new user
 * message encode only {@link #renderTurn(Message)} (which ends with the assistant prompt) and append it to the
 * KV cache after the model's reply.
 */
public record ChatTemplate(String name, String systemPrefix, String systemSuffix, String userPrefix,
                           String userSuffix, String assistantPrefix, String assistantSuffix) {

    public static final String EOT = "<|eot_id|>";

    public static final ChatTemplate BITNET =
            new ChatTemplate("bitnet", "System: ", "", "User: ", EOT, "Assistant: ", EOT);
    public static final ChatTemplate LLAMA3_STYLE =
            new ChatTemplate("llama3", "System: ", EOT, "User: ", EOT, "Assistant: ", EOT);

    /** One chat message; role is "system", "user" or "assistant". */
    public record Message(String role, String content) {
        public Message {
            if (role == null || content == null) {
                throw new IllegalArgumentException("role and content are required");
            }
        }

        public static Message system(String content) {
            return new Message("system", content);
        }

        public static Message user(String content) {
            return new Message("user", content);
        }

        public static Message assistant(String content) {
            return new Message("assistant", content);
        }
    }

    /** "bitnet" or "llama3" (also "llama3-style"), case-insensitive. */
    public static ChatTemplate byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "bitnet" -> BITNET;
            case "llama3", "llama3-style" -> LLAMA3_STYLE;
            default -> throw new IllegalArgumentException("unknown chat template '" + name
                    + "' (known: bitnet, llama3)");
        };
    }

    /**
     * The format implied by a GGUF {@code tokenizer.chat_template}: "bitnet" if it mentions BITNET (llama.cpp's
     * detection rule), otherwise null (caller picks a default, normally {@link #BITNET} for this model).
     */
    public static ChatTemplate detect(String ggufChatTemplate) {
        return ggufChatTemplate != null && ggufChatTemplate.contains("BITNET") ? BITNET : null;
    }

    /** The whole conversation; with {@code addAssistantPrompt}, ends with "Assistant: " for the model to continue. */
    public String render(List<Message> messages, boolean addAssistantPrompt) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append(renderMessage(m));
        }
        boolean endsWithAssistant = !messages.isEmpty() && isAssistant(messages.getLast());
        if (addAssistantPrompt && !endsWithAssistant) {
            sb.append(assistantPrefix);
        }
        return sb.toString();
    }

    /**
     * Text to append for one new message in an ongoing chat. A user message is followed by the assistant
     * prompt (the model answers next); other roles are rendered as finished messages.
     */
    public String renderTurn(Message message) {
        return renderMessage(message) + (isUser(message) ? assistantPrefix : "");
    }

    /** One finished message: prefix + content + suffix for its role. */
    public String renderMessage(Message m) {
        return switch (m.role().toLowerCase(Locale.ROOT)) {
            case "system" -> systemPrefix + m.content() + systemSuffix;
            case "user" -> userPrefix + m.content() + userSuffix;
            case "assistant" -> assistantPrefix + m.content() + assistantSuffix;
            default -> throw new IllegalArgumentException("unknown chat role '" + m.role() + "'");
        };
    }

    private static boolean isUser(Message m) {
        return m.role().equalsIgnoreCase("user");
    }

    private static boolean isAssistant(Message m) {
        return m.role().equalsIgnoreCase("assistant");
    }
}
