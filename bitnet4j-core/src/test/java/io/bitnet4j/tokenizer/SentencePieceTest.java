package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SentencePiece encoding by its definition in llama.cpp, on a vocabulary small enough to derive every expected id
 * by hand (bitnet.cpp's own ids on a larger one are in {@link VocabularyVectorsTest}).
 */
class SentencePieceTest {
    static final List<String> TOKENS = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    static final List<Float> SCORES = new ArrayList<>(List.of(0f, 0f, 0f));
    static final List<Integer> TYPES = new ArrayList<>(List.of(TokenizerData.TYPE_UNKNOWN, TokenizerData.TYPE_CONTROL, TokenizerData.TYPE_CONTROL));

    static {
        for (int b = 0; b < 256; b++) add(String.format("<0x%02X>", b), 0, TokenizerData.TYPE_BYTE); // ids 3..258
        add("▁", -10, TokenizerData.TYPE_NORMAL);   // 259
        add("a", -10, TokenizerData.TYPE_NORMAL);   // 260
        add("b", -10, TokenizerData.TYPE_NORMAL);   // 261
        add("c", -10, TokenizerData.TYPE_NORMAL);   // 262
        add("▁a", -5, TokenizerData.TYPE_NORMAL);   // 263
        add("ab", -2, TokenizerData.TYPE_NORMAL);   // 264
        add("bc", -1, TokenizerData.TYPE_NORMAL);   // 265
        add("abc", -0.5f, TokenizerData.TYPE_NORMAL); // 266
        add("aa", -3, TokenizerData.TYPE_NORMAL);   // 267
    }

    static void add(String token, float score, int type) {
        TOKENS.add(token);
        SCORES.add(score);
        TYPES.add(type);
    }

    static Tokenizer tokenizer(boolean spacePrefix) {
        float[] scores = new float[SCORES.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = SCORES.get(i);
        return Tokenizer.create(new TokenizerData(TOKENS, List.of(), TYPES.stream().mapToInt(Integer::intValue).toArray(), 1, 2, -1,
                true, null, null, TokenizerData.SENTENCEPIECE, scores, spacePrefix), PreTokenizer.LLAMA3);
    }

    @Test
    void theBestScoringPairMergesFirst() {
        // ▁ a b c: "bc" (-1) beats "ab" (-2) and "▁a" (-5); then "abc" (-0.5) forms; "▁abc" is not a token
        assertArrayEquals(new int[] {259, 266}, tokenizer(true).encode("abc", false));
        // without the space prefix: a b c → a bc → abc
        assertArrayEquals(new int[] {266}, tokenizer(false).encode("abc", false));
        // ▁ a b: "ab" (-2) beats "▁a" (-5)
        assertArrayEquals(new int[] {259, 264}, tokenizer(true).encode("ab", false));
    }

    @Test
    void equalScoresMergeLeftmostFirst() {
        // ▁ a a a: both "aa" pairs score -3 and beat "▁a" (-5); the left one merges: ▁ aa a
        assertArrayEquals(new int[] {259, 267, 260}, tokenizer(true).encode("aaa", false));
    }

    @Test
    void unknownCharactersFallBackToTheirUtf8Bytes() {
        // é is C3 A9; the byte tokens are <0x00> = 3 onwards
        assertArrayEquals(new int[] {259, 3 + 0xC3, 3 + 0xA9}, tokenizer(true).encode("é", false));
        assertArrayEquals(new int[] {263, 259, 3 + 0x0A, 261}, tokenizer(true).encode("a \nb", false));
    }

    @Test
    void specialTokensAreCutOutAndEveryStretchOfTextGetsTheSpacePrefix() {
        assertArrayEquals(new int[] {1, 263, 2, 263}, tokenizer(true).encode("<s>a</s>a", true));
        assertArrayEquals(new int[] {1, 1, 263}, tokenizer(true).encodeWithBos("<s>a", true));
    }

    @Test
    void decodingTurnsPiecesBackIntoText() {
        Tokenizer t = tokenizer(true);
        assertEquals(" abc", t.decode(t.encode("abc", false)));
        assertEquals(" é", t.decode(t.encode("é", false)));
        assertNull(t.preTokenizer());
    }
}
