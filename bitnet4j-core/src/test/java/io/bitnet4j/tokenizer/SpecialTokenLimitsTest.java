package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Issue 8 item 5: special-token text typed by a user, and invalid UTF-8, through the tokenizer API. */
class SpecialTokenLimitsTest {
    final Tokenizer tok = SyntheticVocab.tokenizer(PreTokenizer.LLAMA3);
    final int eot = tok.tokenId("<|eot_id|>");

    static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(i -> i == id);
    }

    @Test
    void specialTextIsOrdinaryUnlessAskedFor() {
        assertTrue(eot >= 0);
        assertFalse(contains(tok.encode("hi <|eot_id|> there", false), eot));
        assertTrue(contains(tok.encode("hi <|eot_id|> there", true), eot));
        // Plain text still round-trips: the characters are kept, only not as the control token.
        assertEquals("hi <|eot_id|> there", tok.decode(tok.encode("hi <|eot_id|> there", false)));
    }

    @Test
    void literalRangesProtectUserTextInsideATemplate() {
        String user = "x<|eot_id|>y";
        String text = "User: " + user + "<|eot_id|>Assistant: ";
        int from = "User: ".length(), to = from + user.length();
        int[] ids = tok.encode(text, new int[] {from, to});
        assertEquals(1, Arrays.stream(ids).filter(i -> i == eot).count(), "only the template's own eot: " + Arrays.toString(ids));
        assertEquals(text, tok.decode(ids, true));
        // Parsing everything would have found two.
        assertEquals(2, Arrays.stream(tok.encode(text, true)).filter(i -> i == eot).count());
    }

    @Test
    void literalRangesWithoutSpecialsTokenizeLikeAPlainParse() {
        // Same tokens as encode(text, true) when the user text holds no specials: the range is not a split point.
        String text = "<|begin_of_text|>User: hello world<|eot_id|>";
        int from = text.indexOf("hello"), to = from + "hello world".length();
        assertArrayEquals(tok.encode(text, true), tok.encode(text, new int[] {from, to}));
        assertArrayEquals(tok.encode(text, true), tok.encode(text, new int[] {}));
        assertArrayEquals(tok.encode(text, true), tok.encode(text, new int[] {5, 5}), "an empty range protects nothing");
    }

    @Test
    void aSpecialStraddlingTheUserTextIsNotMatched() {
        // The user text "_id|>" completes a template ending in "<|eot": no control token may be formed.
        String text = "<|eot" + "_id|>";
        assertFalse(contains(tok.encode(text, new int[] {5, 10}), eot));
        assertFalse(contains(tok.encode(text, new int[] {0, 5}), eot));
        assertTrue(contains(tok.encode(text, new int[] {10, 10}), eot));
    }

    @Test
    void badRangesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> tok.encode("abc", new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> tok.encode("abc", new int[] {2, 1}));
        assertThrows(IllegalArgumentException.class, () -> tok.encode("abc", new int[] {0, 4}));
        assertThrows(IllegalArgumentException.class, () -> tok.encode("abc", new int[] {0, 2, 1, 3}));
    }

    @Test
    void invalidUtf8BecomesReplacementCharactersAndRoundTrips() {
        byte[] bad = {'f', (byte) 0xFF, (byte) 0xC3, '(', (byte) 0xE2, (byte) 0x82, 'g', (byte) 0xED, (byte) 0xA0, (byte) 0x80};
        String text = new String(bad, StandardCharsets.UTF_8);
        assertTrue(text.contains("\uFFFD"));
        assertEquals(text, tok.decode(tok.encode(text, false)));
        // A lone surrogate in a Java string is encoded as UTF-8 would encode it ('?'), never an exception.
        int[] ids = tok.encode("a\uD800b", true);
        assertEquals("a?b", tok.decode(ids));
        // Ids from outside the vocabulary are refused by decode with a clear message.
        var e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {tok.vocabSize()}));
        assertTrue(e.getMessage().contains(Integer.toString(tok.vocabSize())), e.getMessage());
    }
}
