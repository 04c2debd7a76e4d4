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

    /**
     * The prompt for the model's next reply as token ids: BOS (when the vocabulary asks for it), every message
     * as a finished one, then the assistant prefix. Contents are ordinary text: a "&lt;|eot_id|&gt;" typed into a
     * message is not the control token, so it cannot end a turn or fake a role; the template's own markers are.
     */
    public int[] encodePrompt(Tokenizer tokenizer, List<Message> messages) {
        StringBuilder text = new StringBuilder();
        int[] literal = new int[2 * messages.size()];
        for (int i = 0; i < messages.size(); i++) {
            String rendered = renderMessage(new Message(messages.get(i).role(), CONTENT_MARK));
            int at = rendered.indexOf(CONTENT_MARK);
            text.append(rendered, 0, at);
            literal[2 * i] = text.length();
            text.append(messages.get(i).content());
            literal[2 * i + 1] = text.length();
            text.append(rendered, at + CONTENT_MARK.length(), rendered.length());
        }
        text.append(assistantPrefix);
        int[] ids = tokenizer.encode(text.toString(), literal);
        if (!tokenizer.addBos() || tokenizer.bos() < 0) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = tokenizer.bos();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** A private-use character standing in for a message's content, to find where the template puts it. */
    private static final String CONTENT_MARK = "\uE000";

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
