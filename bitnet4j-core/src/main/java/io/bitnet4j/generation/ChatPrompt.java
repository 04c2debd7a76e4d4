package io.bitnet4j.generation;

import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A whole conversation as prompt token ids, for a request that sends its history each time (an OpenAI-style chat
 * API, a LangChain4j chat model). The template's own special tokens are parsed; message contents are ordinary
 * text, so a "&lt;|eot_id|&gt;" typed by a user neither ends a turn nor fakes a role.
 */
public final class ChatPrompt {
    private ChatPrompt() {}

    /** The model file's chat format ({@link ChatTemplate#detect}), else {@link ChatTemplate#BITNET}. */
    public static ChatTemplate templateOf(Tokenizer tokenizer) {
        return Objects.requireNonNullElse(ChatTemplate.detect(tokenizer.chatTemplate()), ChatTemplate.BITNET);
    }

    /**
     * BOS (when the vocabulary asks for it), then every message rendered by the template, then the assistant prompt
     * for the model to answer. A conversation that ends with an assistant message is continued instead: that
     * message gets no end-of-turn suffix, so the model goes on from its last word.
     *
     * @throws IllegalArgumentException for a role other than system, user and assistant
     */
    public static int[] encode(Tokenizer tokenizer, ChatTemplate template, List<Message> messages) {
        StringBuilder text = new StringBuilder();
        int[] literal = new int[2 * messages.size()];
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            boolean continued = i == messages.size() - 1 && isAssistant(m);
            String[] around = around(template, m.role());
            text.append(around[0]);
            literal[2 * i] = text.length();
            text.append(m.content());
            literal[2 * i + 1] = text.length();
            if (!continued) text.append(around[1]);
        }
        if (messages.isEmpty() || !isAssistant(messages.getLast())) text.append(template.assistantPrefix());
        int[] ids = tokenizer.encode(text.toString(), literal);
        if (!tokenizer.addBos() || tokenizer.bos() < 0) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = tokenizer.bos();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** Prefix and suffix the template puts around a message of this role. */
    private static String[] around(ChatTemplate t, String role) {
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "system" -> new String[] {t.systemPrefix(), t.systemSuffix()};
            case "user" -> new String[] {t.userPrefix(), t.userSuffix()};
            case "assistant" -> new String[] {t.assistantPrefix(), t.assistantSuffix()};
            default -> throw new IllegalArgumentException("unknown chat role '" + role + "' (expected system, user or assistant)");
        };
    }

    private static boolean isAssistant(Message m) {
        return m.role().equalsIgnoreCase("assistant");
    }
}
