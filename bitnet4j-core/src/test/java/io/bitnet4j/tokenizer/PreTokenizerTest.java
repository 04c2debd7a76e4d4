package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Pre-token boundaries of both modes; needs no vocabulary. */
class PreTokenizerTest {

    @Test
    void llama3Splits() {
        assertEquals(List.of("Hello", ",", " y", "'all", "!", " ", "333", "3"),
                PreTokenizer.LLAMA3.split("Hello, y'all! 3333"));
        assertEquals(List.of("I", "'ve", " been", " '", "told", " he", "'S"),
                PreTokenizer.LLAMA3.split("I've been 'told he'S"));
        assertEquals(List.of(" (\n", " ="), PreTokenizer.LLAMA3.split(" (\n =")); // [\r\n]* trails punctuation
        assertEquals(List.of("a", "  ", " b", "\n\n", "c"), PreTokenizer.LLAMA3.split("a   b\n\nc"));
    }

    @Test
    void compatAppliesFourRegexesInSequence() {
        // Punctuation is cut out first, so " y'all" loses its apostrophe piece and " (" splits in two.
        assertEquals(List.of("Hello", ",", " y", "'", "all", "!", " ", "333", "3"),
                PreTokenizer.BITNET_CPP_COMPAT.split("Hello, y'all! 3333"));
        assertEquals(List.of(" ", "("), PreTokenizer.BITNET_CPP_COMPAT.split(" ("));
        // "\n " is one piece: at a piece end, \s+(?!\S) sees end of input and takes all the whitespace.
        assertEquals(List.of("\n ", "="), PreTokenizer.BITNET_CPP_COMPAT.split("\n ="));
        // GPT-2 contractions are case-sensitive, unlike LLaMA-3's.
        assertEquals(List.of("I", "'", "ve", " he", "'", "S"), PreTokenizer.BITNET_CPP_COMPAT.split("I've he'S"));
    }

    @Test
    void whitespaceIsUnicodeWhiteSpace() {
        // U+00A0 counts as \s (as in Rust's regex and llama.cpp), unlike Java's default ASCII-only \s.
        assertEquals(List.of("a", "\u00A0", "\u00A0b"), PreTokenizer.LLAMA3.split("a\u00A0\u00A0b"));
        assertEquals(List.of("a", "\u3000\u3000"), PreTokenizer.LLAMA3.split("a\u3000\u3000"));
    }

    @Test
    void piecesConcatenateToInput() {
        String text = "Cửa Việt 🦙.cpp 1314151天～ \t\r\n ''' x";
        for (PreTokenizer mode : PreTokenizer.values()) {
            assertEquals(text, String.join("", mode.split(text)), mode.name());
        }
        assertEquals(List.of(), PreTokenizer.LLAMA3.split(""));
    }

    @Test
    void longUniformRunsNeitherOverflowNorCrawl() {
        // Java's regex engine recurses for some constructs; these patterns must stay iterative and near-linear.
        for (PreTokenizer mode : PreTokenizer.values()) {
            for (String unit : List.of(" ", "!", "7", "\n", "我", "\uD83E\uDD99", "'s", "\u00A0", "a ")) {
                String text = unit.repeat(200_000 / unit.length());
                long t0 = System.nanoTime();
                List<String> pieces = mode.split(text);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(text.length(), pieces.stream().mapToInt(String::length).sum());
                assertTrue(ms < 5_000, mode + " on runs of '" + unit + "': " + ms + " ms");
            }
        }
    }
}
