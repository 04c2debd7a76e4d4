package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** In the synthetic vocabulary byte b is token b, so any byte sequence can be fed token by token. */
class StreamingDecoderTest {

    private final Tokenizer tok = SyntheticVocab.tokenizer(PreTokenizer.LLAMA3);

    private List<String> feedBytes(StreamingDecoder d, byte... bytes) {
        List<String> out = new ArrayList<>();
        for (byte b : bytes) {
            out.add(d.accept(b & 0xFF));
        }
        return out;
    }

    @Test
    void emojiSplitAcrossTokensComesOutWhole() {
        StreamingDecoder d = new StreamingDecoder(tok);
        byte[] llama = "🦙".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("", "", "", "🦙"), feedBytes(d, llama));
        assertFalse(d.hasPending());
    }

    @Test
    void cjkAfterAsciiInSameToken() {
        StreamingDecoder d = new StreamingDecoder(tok);
        byte[] bytes = "a我".getBytes(StandardCharsets.UTF_8); // a, E6 88 91
        assertEquals(List.of("a", "", "", "我"), feedBytes(d, bytes));
        assertEquals("hello", d.accept(tok.tokenId("hello")));
        assertEquals("", d.flush());
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        StreamingDecoder d = new StreamingDecoder(tok);
        assertEquals("\uFFFD", d.accept(0xFF)); // never valid: emitted at once, not held
        assertEquals("", d.accept(0xE6)); // could start 我
        assertEquals("\uFFFDa", d.accept('a')); // ...but did not
        assertEquals("\uFFFD", d.accept(0x80)); // stray continuation byte
        assertEquals("", d.accept(0xF0));
        assertEquals("", d.accept(0x9F));
        assertTrue(d.hasPending());
        assertEquals("\uFFFD", d.flush()); // truncated at end of stream
        assertFalse(d.hasPending());
        assertEquals("", d.accept(0xE0)); // could start a 3-byte character
        assertEquals("\uFFFD\uFFFD", d.accept(0x80)); // E0 80 would be overlong: resolved, not held
    }

    @Test
    void outOfRangeIdsDoNotThrow() {
        StreamingDecoder d = new StreamingDecoder(tok);
        assertEquals("\uFFFD", d.accept(-5));
        assertEquals("\uFFFD", d.accept(tok.vocabSize()));
    }

    @Test
    void specialTokensOptional() {
        StreamingDecoder withSpecial = new StreamingDecoder(tok);
        StreamingDecoder without = new StreamingDecoder(tok, false);
        assertEquals("<|eot_id|>", withSpecial.accept(tok.eot()));
        assertEquals("", without.accept(tok.eot()));
    }

    @Test
    void streamedTextEqualsBatchDecode() {
        String text = "hello world 😶‍🌫️ 我想 Cửa Việt";
        int[] ids = tok.encode(text, false);
        StreamingDecoder d = new StreamingDecoder(tok);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = d.accept(id);
            assertFalse(piece.contains("\uFFFD"), "partial character leaked: " + piece);
            sb.append(piece);
        }
        sb.append(d.flush());
        assertEquals(text, sb.toString());
    }
}
