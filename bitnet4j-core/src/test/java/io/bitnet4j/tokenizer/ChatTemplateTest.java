package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bitnet4j.tokenizer.ChatTemplate.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    private static final Message SYS = Message.system("You are a helpful assistant");
    private static final Message HI = Message.user("Hi");

    @Test
    void bitnetFormatMatchesBitnetCpp() {
        assertEquals("System: You are a helpful assistantUser: Hi<|eot_id|>Assistant: ",
                ChatTemplate.BITNET.render(List.of(SYS, HI), true));
    }

    @Test
    void bitnetMultiTurnEndsFinishedRepliesWithEot() {
        List<Message> history = List.of(SYS, HI, Message.assistant("Hello!"), Message.user("Bye"));
        assertEquals("System: You are a helpful assistantUser: Hi<|eot_id|>Assistant: Hello!<|eot_id|>"
                + "User: Bye<|eot_id|>Assistant: ", ChatTemplate.BITNET.render(history, true));
    }

    @Test
    void incrementalTurnsConcatenateToFullRender() {
        ChatTemplate t = ChatTemplate.BITNET;
        String first = t.render(List.of(SYS, HI), true);
        // The reply "Hello!" + its eot come from the model itself; only the new user turn is appended.
        String incremental = first + "Hello!" + ChatTemplate.EOT + t.renderTurn(Message.user("Bye"));
        assertEquals(t.render(List.of(SYS, HI, Message.assistant("Hello!"), Message.user("Bye")), true), incremental);
        assertEquals("System: x", t.renderTurn(Message.system("x")));
    }

    @Test
    void llama3StyleFormat() {
        ChatTemplate t = ChatTemplate.byName("llama3");
        assertSame(ChatTemplate.LLAMA3_STYLE, t);
        assertEquals("System: S<|eot_id|>User: U<|eot_id|>Assistant: A<|eot_id|>",
                t.render(List.of(Message.system("S"), Message.user("U"), Message.assistant("A")), false));
        assertEquals("System: S<|eot_id|>User: U<|eot_id|>Assistant: ",
                t.render(List.of(Message.system("S"), Message.user("U")), true));
    }

    @Test
    void selectionAndDetection() {
        assertSame(ChatTemplate.BITNET, ChatTemplate.byName("BitNet"));
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.byName("chatml"));
        assertSame(ChatTemplate.BITNET, ChatTemplate.detect(
                "{% for message in messages %}Human: {{ message['content'] }}\n\nBITNETAssistant: {% endfor %}"));
        assertNull(ChatTemplate.detect(null));
        assertNull(ChatTemplate.detect("<|im_start|>"));
        assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.BITNET.render(List.of(new Message("tool", "x")), false));
    }

    @Test
    void renderedPromptTokenizesWithEotAsSpecial() {
        Tokenizer tok = SyntheticVocab.tokenizer(PreTokenizer.LLAMA3);
        int[] ids = tok.encode(ChatTemplate.BITNET.renderTurn(Message.user("hello")), true);
        int[] expected = java.util.stream.IntStream.concat(
                java.util.stream.IntStream.concat(java.util.Arrays.stream(tok.encode("User: hello", false)),
                        java.util.stream.IntStream.of(tok.eot())),
                java.util.Arrays.stream(tok.encode("Assistant: ", false))).toArray();
        assertArrayEquals(expected, ids);
    }
}
