package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tokenizer behaviour on the synthetic vocabulary: always runs, no downloads. */
class TokenizerTest {

    private final Tokenizer llama3 = SyntheticVocab.tokenizer(PreTokenizer.LLAMA3);
    private final Tokenizer compat = SyntheticVocab.tokenizer(PreTokenizer.BITNET_CPP_COMPAT);

    private int id(Tokenizer t, String token) {
        int id = t.tokenId(token);
        assertTrue(id >= 0, "token " + token + " missing from the synthetic vocabulary");
        return id;
    }

    @Test
    void mergesFollowRankNotPosition() {
        assertArrayEquals(new int[] {'a', id(llama3, "bc")}, llama3.encode("abc", false));
    }

    @Test
    void equalPairsMergeLeftmostFirst() {
        assertArrayEquals(new int[] {id(llama3, "aa"), 'a'}, llama3.encode("aaa", false));
        assertArrayEquals(new int[] {id(llama3, "aaaa"), id(llama3, "aa"), 'a'}, llama3.encode("aaaaaaa", false));
    }

    @Test
    void encodesWordsThroughMerges() {
        assertArrayEquals(new int[] {id(llama3, "hello"), id(llama3, "Ġworld")}, llama3.encode("hello world", false));
        assertEquals("hello world", llama3.decode(llama3.encode("hello world", false)));
    }

    @Test
    void ignoreMergesOnlyInLlama3Mode() {
        // " hello" is a vocabulary entry that merges cannot build: LLAMA3 takes it whole, compat runs BPE.
        assertArrayEquals(new int[] {id(llama3, "Ġhello")}, llama3.encode(" hello", false));
        assertArrayEquals(new int[] {' ', id(compat, "hello")}, compat.encode(" hello", false));
    }

    @Test
    void unmergeableBytesStayByteTokens() {
        String text = "\u00e9\uD83E\uDD99"; // é and 🦙: no merges, so one token per UTF-8 byte
        byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] expected = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            expected[i] = utf8[i] & 0xFF;
        }
        assertArrayEquals(expected, llama3.encode(text, false));
        assertEquals(text, llama3.decode(expected));
    }

    @Test
    void specialTokensParsedOnlyWhenAsked() {
        int eot = llama3.eot();
        assertEquals(id(llama3, "<|eot_id|>"), eot);
        int[] parsed = llama3.encode("hello<|eot_id|>hello", true);
        assertArrayEquals(new int[] {id(llama3, "hello"), eot, id(llama3, "hello")}, parsed);
        int[] literal = llama3.encode("hello<|eot_id|>hello", false);
        assertTrue(literal.length > 3);
        assertTrue(java.util.Arrays.stream(literal).noneMatch(llama3::isControl));
        assertEquals("hello<|eot_id|>hello", llama3.decode(literal));
        assertEquals("hello<|eot_id|>hello", llama3.decode(parsed));
        assertEquals("hellohello", llama3.decode(parsed, false));
    }

    @Test
    void longestSpecialWins() {
        assertArrayEquals(new int[] {id(llama3, "<|eot_id|>x")}, llama3.encode("<|eot_id|>x", true));
    }

    @Test
    void bosAndEndOfGeneration() {
        assertArrayEquals(new int[] {llama3.bos(), id(llama3, "hello")}, llama3.encodeWithBos("hello", false));
        assertTrue(llama3.isEndOfGeneration(llama3.eos()));
        assertTrue(llama3.isEndOfGeneration(llama3.eot()));
        assertTrue(llama3.isEndOfGeneration(id(llama3, "<|eom_id|>")));
        assertFalse(llama3.isEndOfGeneration(llama3.bos()));
        assertFalse(llama3.isEndOfGeneration(-1));
    }

    @Test
    void tokenAccessors() {
        int w = id(llama3, "Ġworld");
        assertEquals("Ġworld", llama3.tokenText(w));
        assertArrayEquals(" world".getBytes(java.nio.charset.StandardCharsets.US_ASCII), llama3.tokenBytes(w));
        assertArrayEquals("<|eot_id|>".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                llama3.tokenBytes(llama3.eot()));
        assertThrows(IllegalArgumentException.class, () -> llama3.tokenBytes(llama3.vocabSize()));
        assertThrows(IllegalArgumentException.class, () -> llama3.tokenText(-1));
    }

    @Test
    void veryLongPieceIsFast() {
        // One 200k-letter pre-token: the heap-based merge loop keeps this near-linear.
        String text = "a".repeat(200_000);
        long t0 = System.nanoTime();
        int[] ids = compat.encode(text, false);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(50_000, ids.length);
        assertTrue(ms < 5_000, "took " + ms + " ms");
    }

    @Test
    void rejectsVocabularyWithoutByteTokens() {
        TokenizerData d = new TokenizerData(List.of("a", "b"), List.of(), null, -1, -1, -1, false, null, null);
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.create(d, PreTokenizer.LLAMA3));
    }

    @Test
    void preTokenizerForGguf() {
        assertNull(PreTokenizer.forGguf(null));
        assertEquals(PreTokenizer.LLAMA3, PreTokenizer.forGguf("llama-bpe"));
        assertEquals(PreTokenizer.LLAMA3, PreTokenizer.forGguf("llama3"));
        assertEquals(PreTokenizer.BITNET_CPP_COMPAT, PreTokenizer.forGguf("default"));
        assertThrows(IllegalArgumentException.class, () -> PreTokenizer.forGguf("qwen2"));
    }

    @Test
    void tokenizerDataDerivesEot() {
        TokenizerData d = SyntheticVocab.data();
        assertEquals(d.tokens().indexOf("<|eot_id|>"), d.eot());
        assertTrue(d.addBos());
        assertEquals(ChatTemplate.BITNET, ChatTemplate.detect(d.chatTemplate()));
    }
}
